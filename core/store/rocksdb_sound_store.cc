#include "store/rocksdb_sound_store.h"

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/cache.h"
#include "rocksdb/env.h"
#include "rocksdb/iterator.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "soundsearch/status_macros.h"
#include "store/key_codec.h"
#include "store/record_codec.h"
#include "store/rocksdb_status.h"
#include "store/write_faults.h"

namespace soundsearch {
namespace {

rocksdb::Slice ToSlice(absl::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}
absl::string_view ToView(const rocksdb::Slice& s) {
  return absl::string_view(s.data(), s.size());
}

int64_t NowUnixMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Holds a RocksDB snapshot for the lifetime of the object.
class ScopedSnapshot {
 public:
  explicit ScopedSnapshot(rocksdb::DB* db)
      : db_(db), snap_(db->GetSnapshot()) {}
  ~ScopedSnapshot() { db_->ReleaseSnapshot(snap_); }
  ScopedSnapshot(const ScopedSnapshot&) = delete;
  ScopedSnapshot& operator=(const ScopedSnapshot&) = delete;
  const rocksdb::Snapshot* get() const { return snap_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snap_;
};

// Previews at least this large go to blob files (docs/storage.md).
constexpr uint64_t kPreviewMinBlobBytes = 4096;

// `blobs`: the family's large values go to blob files (RocksDB's integrated
// BlobDB): the previews, tens of kB each, written once and read whole, which
// would otherwise be rewritten by every compaction of the SST files.
rocksdb::ColumnFamilyOptions FamilyOptions(
    const std::shared_ptr<rocksdb::Cache>& cache, int write_buffer_mb,
    bool blobs) {
  rocksdb::ColumnFamilyOptions cf;
  if (write_buffer_mb > 0) {
    cf.write_buffer_size = static_cast<size_t>(write_buffer_mb) << 20;
  }
  if (blobs) {
    cf.enable_blob_files = true;
    cf.min_blob_size = kPreviewMinBlobBytes;
    cf.blob_compression_type = rocksdb::kNoCompression;  // MP3 already is
    // Compactions rewrite the live blobs of the oldest blob files, so that
    // the space of deleted previews comes back.
    cf.enable_blob_garbage_collection = true;
  }
  rocksdb::BlockBasedTableOptions table;
  if (cache != nullptr) table.block_cache = cache;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

// RocksDB's info log (the LOG file of the database directory), written with
// plain stdio. RocksDB's own file logger asserts when it writes again after
// a failed write (RocksDB 7.8, debug assertions on in Debian's build): on a
// full disk the first log line after the failure would abort the server.
// This one drops what it cannot write. Keeps one LOG.old; rotates at 16 MiB.
class StdioLogger final : public rocksdb::Logger {
 public:
  explicit StdioLogger(std::string path)
      : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL),
        path_(std::move(path)) {
    Rotate();
  }
  ~StdioLogger() override {
    if (file_ != nullptr) std::fclose(file_);
  }
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (file_ == nullptr) return;
    char line[4096];
    va_list copy;
    va_copy(copy, ap);
    const int n = std::vsnprintf(line, sizeof(line), format, copy);
    va_end(copy);
    if (n < 0) return;
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm;
    gmtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof(stamp), "%Y/%m/%d-%H:%M:%S", &tm);
    if (std::fprintf(file_, "%s %s\n", stamp, line) > 0) {
      bytes_ += static_cast<size_t>(n) + 21;
    }
    std::fflush(file_);
    clearerr(file_);  // a full disk: drop the line, try the next
    if (bytes_ > (size_t{16} << 20)) Rotate();
  }

 private:
  void Rotate() {
    if (file_ != nullptr) std::fclose(file_);
    std::rename(path_.c_str(), (path_ + ".old").c_str());
    file_ = std::fopen(path_.c_str(), "w");
    bytes_ = 0;
  }

  const std::string path_;
  std::mutex mu_;
  std::FILE* file_ = nullptr;
  size_t bytes_ = 0;
};

absl::StatusOr<uint64_t> DecodeCounter(absl::string_view key,
                                       const std::optional<std::string>& v) {
  if (!v.has_value()) {
    return absl::DataLossError(absl::StrCat("store metadata lacks ", key));
  }
  std::optional<uint64_t> n = DecodeU64LittleEndian(*v);
  if (!n.has_value()) {
    return absl::DataLossError(
        absl::StrCat("store metadata ", key, " is not an 8-byte counter"));
  }
  return *n;
}

absl::Status ValidateNonEmpty(absl::string_view what, absl::string_view v) {
  if (v.empty())
    return absl::InvalidArgumentError(absl::StrCat(what, " is empty"));
  return absl::OkStatus();
}

}  // namespace

const char* const RocksDbSoundStore::kFamilyNames[kNumFamilies] = {
    "default",      "sounds",         "raw",     "models",   "words",
    "external_ids", "content_hashes", "changes", "previews",
};

namespace {

// Conflict keys: one namespace per kind of thing a mutation reads.
std::string HashConflict(absl::string_view h) { return absl::StrCat("h", h); }
std::string ExternalConflict(absl::string_view e) {
  return absl::StrCat("e", e);
}
std::string IdConflict(uint64_t id) { return absl::StrCat("i", id); }
std::string ModelConflict(absl::string_view space, absl::string_view kind) {
  return absl::StrCat("m", SpaceNameKey(space, kind));
}
std::string WordsConflict(absl::string_view space) {
  return absl::StrCat("w", space);
}

// Most writers one group commit carries, and most bytes.
constexpr size_t kMaxGroupWriters = 256;
constexpr size_t kMaxGroupBytes = 16 << 20;

}  // namespace

absl::StatusOr<std::unique_ptr<SoundStore>> RocksDbSoundStore::OpenValidated(
    const SoundStoreOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool exists = fs::exists(fs::path(options.path) / "CURRENT", ec);
  if (!exists && !options.create_if_missing) {
    return absl::NotFoundError(absl::StrCat("no store at ", options.path,
                                            " (create_if_missing is false)"));
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = !exists;
  db_options.create_missing_column_families = !exists;
  db_options.paranoid_checks = true;
  // One bound on the memtables of all families (RocksDB's write buffer
  // manager): without it nine families of 64 MiB memtables fill for as long
  // as writes come, far beyond what one family's flushes would suggest.
  db_options.db_write_buffer_size =
      static_cast<size_t>(options.memtable_budget_mb) << 20;
  // A family that is seldom written keeps every log since its last flush
  // alive; past four budgets of logs the families holding the oldest one are
  // flushed, which bounds the log's disk use and the replay at open.
  db_options.max_total_wal_size = 4 * db_options.db_write_buffer_size;
  if (rocksdb::Env* faults = StoreWriteFaultEnv()) db_options.env = faults;
  std::error_code mkdir_error;
  std::filesystem::create_directories(options.path, mkdir_error);
  db_options.info_log =
      std::make_shared<StdioLogger>((fs::path(options.path) / "LOG").string());
  std::shared_ptr<rocksdb::Cache> cache;
  if (options.block_cache_mb > 0) {
    cache =
        rocksdb::NewLRUCache(static_cast<size_t>(options.block_cache_mb) << 20);
  }

  // An existing database is opened with exactly its own families, so that
  // nothing is added to a store we are about to refuse.
  std::vector<std::string> names;
  if (exists) {
    RETURN_IF_ERROR(FromRocksDb(
        rocksdb::DB::ListColumnFamilies(db_options, options.path, &names),
        absl::StrCat("listing column families of ", options.path)));
  } else {
    names.assign(std::begin(kFamilyNames), std::end(kFamilyNames));
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names) {
    descriptors.emplace_back(name,
                             FamilyOptions(cache, options.write_buffer_mb,
                                           name == kFamilyNames[kPreviews]));
  }
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> opened;
  RETURN_IF_ERROR(FromRocksDb(
      rocksdb::DB::Open(db_options, options.path, descriptors, &opened, &db),
      absl::StrCat("opening store at ", options.path)));

  // Closes everything on the error paths below.
  auto close = [&db, &opened]() {
    for (auto* h : opened) db->DestroyColumnFamilyHandle(h);
    db->Close().PermitUncheckedError();
    delete db;
  };

  // Schema check, before anything is written. Every RocksDB database has a
  // "default" family.
  size_t default_index = 0;
  while (default_index + 1 < names.size() &&
         names[default_index] != rocksdb::kDefaultColumnFamilyName) {
    ++default_index;
  }
  std::optional<std::string> schema;
  {
    std::string value;
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), opened[default_index],
                                ToSlice(kSchemaVersionKey), &value);
    if (s.ok()) {
      schema = std::move(value);
    } else if (!s.IsNotFound()) {
      absl::Status st = FromRocksDb(s, "reading schema version");
      close();
      return st;
    }
  }
  bool fresh = false;
  if (schema.has_value()) {
    std::optional<uint64_t> version = DecodeU64LittleEndian(*schema);
    if (!version.has_value() || *version != kSchemaVersion) {
      close();
      return absl::FailedPreconditionError(absl::StrCat(
          "store at ", options.path, " has schema version ",
          version.has_value() ? absl::StrCat(*version) : "(unreadable)",
          "; this build reads schema version ", kSchemaVersion,
          " only. Migrate it or rebuild the store."));
    }
  } else {
    // No schema version: a store we just created, or one whose creation was
    // cut short before its first write. Anything holding data is foreign.
    for (auto* h : opened) {
      bool empty = false;
      {
        std::unique_ptr<rocksdb::Iterator> it(
            db->NewIterator(rocksdb::ReadOptions(), h));
        it->SeekToFirst();
        empty = !it->Valid() && it->status().ok();
      }  // iterators must be gone before close()
      if (!empty) {
        close();
        return absl::FailedPreconditionError(
            absl::StrCat(options.path,
                         " holds a RocksDB database that is not a soundsearch "
                         "store (no schema version)"));
      }
    }
    fresh = true;
  }

  // Order the handles by Family; create the families a cut-short creation
  // left missing; keep unknown ones only to close them.
  std::vector<rocksdb::ColumnFamilyHandle*> handles(kNumFamilies, nullptr);
  std::vector<rocksdb::ColumnFamilyHandle*> extra;
  for (size_t i = 0; i < names.size(); ++i) {
    bool known = false;
    for (int f = 0; f < kNumFamilies; ++f) {
      if (names[i] == kFamilyNames[f]) {
        handles[f] = opened[i];
        known = true;
      }
    }
    if (!known) extra.push_back(opened[i]);
  }
  for (int f = 0; f < kNumFamilies; ++f) {
    if (handles[f] != nullptr) continue;
    // "previews" came after the other families: a store written before it
    // gets it now (MovePreviews fills it).
    if (!fresh && f != kPreviews) {
      close();
      return absl::DataLossError(absl::StrCat(
          "store at ", options.path, " lacks column family ", kFamilyNames[f]));
    }
    rocksdb::ColumnFamilyHandle* h = nullptr;
    rocksdb::Status s = db->CreateColumnFamily(
        FamilyOptions(cache, options.write_buffer_mb, f == kPreviews),
        kFamilyNames[f], &h);
    if (!s.ok()) {
      absl::Status st = FromRocksDb(s, "creating column family");
      close();
      return st;
    }
    opened.push_back(h);
    handles[f] = h;
  }
  handles.insert(handles.end(), extra.begin(), extra.end());

  std::unique_ptr<RocksDbSoundStore> store(new RocksDbSoundStore(
      options.path, options.sync_writes, db, std::move(handles)));
  if (fresh) RETURN_IF_ERROR(store->Initialize());
  RETURN_IF_ERROR(store->Load());
  RETURN_IF_ERROR(store->MovePreviews());
  return std::unique_ptr<SoundStore>(std::move(store));
}

RocksDbSoundStore::RocksDbSoundStore(
    std::string path, bool sync_writes, rocksdb::DB* db,
    std::vector<rocksdb::ColumnFamilyHandle*> handles)
    : path_(std::move(path)),
      sync_writes_(sync_writes),
      db_(db),
      handles_(std::move(handles)) {}

RocksDbSoundStore::~RocksDbSoundStore() {
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  // Every write was already committed to the WAL; Close only releases.
  db_->Close().PermitUncheckedError();
  delete db_;
}

absl::Status RocksDbSoundStore::Initialize() {
  rocksdb::WriteBatch batch;
  batch.Put(cf(kMeta), ToSlice(kSchemaVersionKey),
            EncodeU64LittleEndian(kSchemaVersion));
  batch.Put(cf(kMeta), ToSlice(kNextIdKey), EncodeU64LittleEndian(1));
  batch.Put(cf(kMeta), ToSlice(kLastSequenceKey), EncodeU64LittleEndian(0));
  batch.Put(cf(kMeta), ToSlice(kSoundCountKey), EncodeU64LittleEndian(0));
  batch.Put(cf(kMeta), ToSlice(kPreviewCountKey), EncodeU64LittleEndian(0));
  batch.Put(cf(kMeta), ToSlice(kPreviewBytesKey), EncodeU64LittleEndian(0));
  rocksdb::WriteOptions wo;
  wo.sync = true;  // a created store is durable whatever sync_writes says
  return FromRocksDb(db_->Write(wo, &batch), "initialising new store");
}

absl::Status RocksDbSoundStore::Load() {
  absl::MutexLock lock(&write_mu_);
  ASSIGN_OR_RETURN(auto next_id, Read(kMeta, kNextIdKey));
  ASSIGN_OR_RETURN(next_id_, DecodeCounter(kNextIdKey, next_id));
  ASSIGN_OR_RETURN(auto last_seq, Read(kMeta, kLastSequenceKey));
  ASSIGN_OR_RETURN(uint64_t last_sequence,
                   DecodeCounter(kLastSequenceKey, last_seq));
  ASSIGN_OR_RETURN(auto count, Read(kMeta, kSoundCountKey));
  ASSIGN_OR_RETURN(uint64_t sound_count, DecodeCounter(kSoundCountKey, count));
  if (next_id_ == 0) return absl::DataLossError("store metadata next_id is 0");
  next_sequence_ = last_sequence + 1;
  last_sequence_.store(last_sequence);
  sound_count_.store(sound_count);
  ASSIGN_OR_RETURN(auto truncated, Read(kMeta, kTruncatedThroughKey));
  if (truncated.has_value()) {
    ASSIGN_OR_RETURN(uint64_t through,
                     DecodeCounter(kTruncatedThroughKey, truncated));
    truncated_through_.store(through);
  }

  std::set<std::string> spaces;
  RETURN_IF_ERROR(
      ScanPrefix(kMeta, kSpaceKeyPrefix,
                 [&spaces](absl::string_view rest, absl::string_view) {
                   spaces.emplace(rest);
                   return true;
                 }));
  spaces_ = std::move(spaces);
  return absl::OkStatus();
}

absl::Status RocksDbSoundStore::MovePreviews() {
  ASSIGN_OR_RETURN(auto count, Read(kMeta, kPreviewCountKey));
  ASSIGN_OR_RETURN(auto bytes, Read(kMeta, kPreviewBytesKey));
  if (count.has_value() && bytes.has_value()) {
    ASSIGN_OR_RETURN(uint64_t n, DecodeCounter(kPreviewCountKey, count));
    ASSIGN_OR_RETURN(uint64_t b, DecodeCounter(kPreviewBytesKey, bytes));
    preview_count_.store(n);
    preview_bytes_.store(b);
    return absl::OkStatus();
  }
  // Each batch moves up to 32 MiB of previews: put in "previews", deleted
  // from "default", so that nothing is lost or doubled when cut short.
  rocksdb::WriteOptions wo;
  wo.sync = true;
  for (bool more = true; more;) {
    rocksdb::WriteBatch batch;
    size_t batch_bytes = 0;
    more = false;
    RETURN_IF_ERROR(ScanPrefix(
        kMeta, kPreviewKeyPrefix,
        [&](absl::string_view id_key, absl::string_view value) {
          if (batch_bytes >= (size_t{32} << 20)) {
            more = true;
            return false;
          }
          batch.Put(cf(kPreviews), ToSlice(id_key), ToSlice(value));
          batch.Delete(cf(kMeta),
                       ToSlice(absl::StrCat(kPreviewKeyPrefix, id_key)));
          batch_bytes += id_key.size() + value.size();
          return true;
        }));
    if (batch.Count() == 0) break;
    RETURN_IF_ERROR(
        FromRocksDb(db_->Write(wo, &batch), "moving previews to their family"));
  }
  uint64_t n = 0;
  uint64_t b = 0;
  RETURN_IF_ERROR(ScanPrefix(kPreviews, "",
                             [&](absl::string_view, absl::string_view value) {
                               ++n;
                               b += value.size();
                               return true;
                             }));
  rocksdb::WriteBatch counters;
  counters.Put(cf(kMeta), ToSlice(kPreviewCountKey), EncodeU64LittleEndian(n));
  counters.Put(cf(kMeta), ToSlice(kPreviewBytesKey), EncodeU64LittleEndian(b));
  RETURN_IF_ERROR(
      FromRocksDb(db_->Write(wo, &counters), "writing the preview counters"));
  preview_count_.store(n);
  preview_bytes_.store(b);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> RocksDbSoundStore::Read(
    Family family, absl::string_view key,
    const rocksdb::Snapshot* snapshot) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::string value;
  rocksdb::Status s = db_->Get(ro, cf(family), ToSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  RETURN_IF_ERROR(FromRocksDb(
      s, absl::StrCat("reading from column family ", kFamilyNames[family])));
  return std::optional<std::string>(std::move(value));
}

absl::StatusOr<std::optional<uint64_t>> RocksDbSoundStore::ReadId(
    Family family, absl::string_view key,
    const rocksdb::Snapshot* snapshot) const {
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   Read(family, key, snapshot));
  if (!value.has_value()) return std::optional<uint64_t>();
  std::optional<uint64_t> id = DecodeU64BigEndian(*value);
  if (!id.has_value()) {
    return absl::DataLossError(
        absl::StrCat("malformed id in column family ", kFamilyNames[family]));
  }
  return id;
}

absl::StatusOr<SoundRecord> RocksDbSoundStore::ReadSound(
    uint64_t id, const rocksdb::Snapshot* snapshot) const {
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   Read(kSounds, EncodeU64BigEndian(id), snapshot));
  if (!value.has_value()) {
    return absl::NotFoundError(absl::StrCat("no sound with id ", id));
  }
  return DecodeSoundRecord(*value);
}

absl::Status RocksDbSoundStore::ScanPrefix(
    Family family, absl::string_view prefix,
    const std::function<bool(absl::string_view, absl::string_view)>& visit)
    const {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(family)));
  for (it->Seek(ToSlice(prefix)); it->Valid(); it->Next()) {
    absl::string_view key = ToView(it->key());
    if (!absl::StartsWith(key, prefix)) break;
    key.remove_prefix(prefix.size());
    if (!visit(key, ToView(it->value()))) break;
  }
  return FromRocksDb(it->status(), absl::StrCat("iterating column family ",
                                                kFamilyNames[family]));
}

// ---- Group commit -----------------------------------------------------------

void RocksDbSoundStore::WaitForKeys(const std::vector<std::string>& keys) {
  auto busy = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    for (const std::string& k : keys) {
      if (pending_keys_.contains(k)) return true;
    }
    return false;
  };
  while (busy()) committed_cv_.Wait(&write_mu_);
}

absl::Status RocksDbSoundStore::Submit(Writer* w) {
  for (const std::string& k : w->conflict_keys) pending_keys_.insert(k);
  writers_.push_back(w);
  while (!w->done && writers_.front() != w) w->cv.Wait(&write_mu_);
  if (w->done) return w->status;

  // Leader: commit a group of queued writers, starting with this one.
  rocksdb::WriteBatch batch;
  size_t group = 0;
  size_t bytes = 0;
  int64_t count_delta = 0;
  int64_t preview_count_delta = 0;
  int64_t preview_bytes_delta = 0;
  uint64_t last_sequence = 0;
  uint64_t max_id = 0;
  for (Writer* g : writers_) {
    if (group == kMaxGroupWriters || (group > 0 && bytes > kMaxGroupBytes)) {
      break;
    }
    for (const Writer::Op& op : g->ops) {
      switch (op.kind) {
        case Writer::Kind::kPut:
          batch.Put(cf(op.family), op.key, op.value);
          break;
        case Writer::Kind::kDelete:
          batch.Delete(cf(op.family), op.key);
          break;
        case Writer::Kind::kDeleteRange:
          batch.DeleteRange(cf(op.family), op.key, op.value);
          break;
      }
      bytes += op.key.size() + op.value.size();
    }
    count_delta += g->count_delta;
    preview_count_delta += g->preview_count_delta;
    preview_bytes_delta += g->preview_bytes_delta;
    last_sequence = std::max(last_sequence, g->sequence);
    max_id = std::max(max_id, g->new_id);
    ++group;
  }
  // The store counters travel with the data they count.
  const uint64_t count = sound_count_.load() + count_delta;
  if (count_delta != 0) {
    batch.Put(cf(kMeta), ToSlice(kSoundCountKey), EncodeU64LittleEndian(count));
  }
  const uint64_t preview_count = preview_count_.load() + preview_count_delta;
  const uint64_t preview_bytes = preview_bytes_.load() + preview_bytes_delta;
  if (preview_count_delta != 0 || preview_bytes_delta != 0) {
    batch.Put(cf(kMeta), ToSlice(kPreviewCountKey),
              EncodeU64LittleEndian(preview_count));
    batch.Put(cf(kMeta), ToSlice(kPreviewBytesKey),
              EncodeU64LittleEndian(preview_bytes));
  }
  if (last_sequence != 0) {
    batch.Put(cf(kMeta), ToSlice(kLastSequenceKey),
              EncodeU64LittleEndian(last_sequence));
  }
  if (max_id != 0) {
    batch.Put(cf(kMeta), ToSlice(kNextIdKey),
              EncodeU64LittleEndian(max_id + 1));
  }

  absl::Status status;
  {
    // Others queue up behind us while the WAL syncs.
    write_mu_.Unlock();
    rocksdb::WriteOptions wo;
    wo.sync = sync_writes_;
    status = FromRocksDb(db_->Write(wo, &batch),
                         absl::StrCat("committing ", group, " write(s)"));
    if (absl::IsUnavailable(status)) {
      status = absl::UnavailableError(absl::StrCat(
          "the store cannot write (", status.message(),
          "); nothing of this call was stored; writes resume by themselves "
          "once the store can write again (free disk space)"));
    }
    NoteWrite(status);
    write_mu_.Lock();
  }

  if (status.ok()) {
    sound_count_.store(count);
    preview_count_.store(preview_count);
    preview_bytes_.store(preview_bytes);
    if (last_sequence != 0) last_sequence_.store(last_sequence);
  }
  for (size_t i = 0; i < group; ++i) {
    Writer* g = writers_.front();
    writers_.pop_front();
    for (const std::string& k : g->conflict_keys) pending_keys_.erase(k);
    if (status.ok()) {
      spaces_.insert(g->new_spaces.begin(), g->new_spaces.end());
    }
    g->status = status;
    g->done = true;
    if (g != w) g->cv.Signal();
  }
  if (!writers_.empty()) writers_.front()->cv.Signal();
  committed_cv_.SignalAll();
  return status;
}

void RocksDbSoundStore::RegisterSpace(absl::string_view space, Writer* w) {
  if (spaces_.count(std::string(space)) > 0) return;
  for (const std::string& s : w->new_spaces) {
    if (s == space) return;
  }
  w->new_spaces.emplace_back(space);
  // Two queued writers may both register a new space: the same empty value
  // written twice.
  w->Put(kMeta, SpaceRegistryKey(space), std::string());
}

void RocksDbSoundStore::LogChange(Change change, Writer* w) {
  change.sequence = next_sequence_++;
  w->sequence = change.sequence;
  w->Put(kChanges, EncodeU64BigEndian(change.sequence), EncodeChange(change));
}

// ---- Sounds -----------------------------------------------------------------

absl::StatusOr<AddResult> RocksDbSoundStore::AddSound(
    const SoundRecord& sound,
    const std::map<std::string, std::string>& raw_by_space,
    absl::string_view preview) {
  if (sound.id != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AddSound: id must be 0 (the store assigns it), got ", sound.id));
  }
  if (sound.content_hash.empty()) {
    return absl::InvalidArgumentError(
        "AddSound: content_hash is required (Sha256Hex of the uploaded bytes "
        "or the caller's own hash)");
  }
  for (const auto& [space, raw] : raw_by_space) {
    RETURN_IF_ERROR(ValidateSpaceName(space));
  }
  // Every string the store keeps is valid UTF-8 (a proto3 string that is not
  // would make the record undecodable).
  if (absl::Status text = CheckRecordText(sound); !text.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("AddSound: ", text.message()));
  }

  Writer w;
  w.conflict_keys.push_back(HashConflict(sound.content_hash));
  if (!sound.external_id.empty()) {
    w.conflict_keys.push_back(ExternalConflict(sound.external_id));
  }
  absl::MutexLock lock(&write_mu_);
  WaitForKeys(w.conflict_keys);
  ASSIGN_OR_RETURN(std::optional<uint64_t> existing,
                   ReadId(kContentHashes, sound.content_hash, nullptr));
  if (existing.has_value()) {
    return AddResult{*existing, /*duplicate=*/true, /*sequence=*/0};
  }
  if (!sound.external_id.empty()) {
    ASSIGN_OR_RETURN(std::optional<uint64_t> owner,
                     ReadId(kExternalIds, sound.external_id, nullptr));
    if (owner.has_value()) {
      return absl::AlreadyExistsError(
          absl::StrCat("external id \"", sound.external_id,
                       "\" is already used by sound ", *owner));
    }
  }

  SoundRecord record = sound;
  record.id = next_id_++;
  if (record.added_unix_micros == 0) record.added_unix_micros = NowUnixMicros();
  const std::string id_key = EncodeU64BigEndian(record.id);
  w.new_id = record.id;
  w.count_delta = 1;
  w.Put(kSounds, id_key, EncodeSoundRecord(record));
  if (!preview.empty()) {
    w.Put(kPreviews, id_key, std::string(preview));
    w.preview_count_delta = 1;
    w.preview_bytes_delta = static_cast<int64_t>(preview.size());
  }
  for (const auto& [space, raw] : raw_by_space) {
    w.Put(kRaw, RawKey(space, record.id), raw);
    RegisterSpace(space, &w);
  }
  w.Put(kContentHashes, record.content_hash, id_key);
  if (!record.external_id.empty())
    w.Put(kExternalIds, record.external_id, id_key);
  LogChange(Change{0, ChangeKind::kAdd, record.id}, &w);
  RETURN_IF_ERROR(Submit(&w));
  return AddResult{record.id, /*duplicate=*/false, w.sequence};
}

absl::StatusOr<SoundRecord> RocksDbSoundStore::GetSound(uint64_t id) const {
  return ReadSound(id, nullptr);
}

std::vector<absl::StatusOr<SoundRecord>> RocksDbSoundStore::GetSounds(
    absl::Span<const uint64_t> ids) const {
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (uint64_t id : ids) keys.push_back(EncodeU64BigEndian(id));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(ids.size());
  std::vector<rocksdb::Status> statuses(ids.size());
  db_->MultiGet(rocksdb::ReadOptions(), cf(kSounds), slices.size(),
                slices.data(), values.data(), statuses.data());
  std::vector<absl::StatusOr<SoundRecord>> out;
  out.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (statuses[i].IsNotFound()) {
      out.push_back(
          absl::NotFoundError(absl::StrCat("no sound with id ", ids[i])));
    } else if (!statuses[i].ok()) {
      out.push_back(FromRocksDb(
          statuses[i],
          absl::StrCat("reading from column family ", kFamilyNames[kSounds])));
    } else {
      out.push_back(DecodeSoundRecord(ToView(values[i])));
    }
  }
  return out;
}

absl::StatusOr<SoundRecord> RocksDbSoundStore::FindByExternalId(
    absl::string_view external_id) const {
  RETURN_IF_ERROR(ValidateNonEmpty("external id", external_id));
  ScopedSnapshot snap(db_);
  ASSIGN_OR_RETURN(std::optional<uint64_t> id,
                   ReadId(kExternalIds, external_id, snap.get()));
  if (!id.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("no sound with external id \"", external_id, "\""));
  }
  return ReadSound(*id, snap.get());
}

absl::StatusOr<SoundRecord> RocksDbSoundStore::FindByContentHash(
    absl::string_view content_hash) const {
  RETURN_IF_ERROR(ValidateNonEmpty("content hash", content_hash));
  ScopedSnapshot snap(db_);
  ASSIGN_OR_RETURN(std::optional<uint64_t> id,
                   ReadId(kContentHashes, content_hash, snap.get()));
  if (!id.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("no sound with content hash \"", content_hash, "\""));
  }
  return ReadSound(*id, snap.get());
}

absl::StatusOr<uint64_t> RocksDbSoundStore::DeleteSound(uint64_t id) {
  absl::MutexLock lock(&write_mu_);
  WaitForKeys({IdConflict(id)});
  ASSIGN_OR_RETURN(SoundRecord record, ReadSound(id, nullptr));
  Writer w;
  w.conflict_keys = {IdConflict(id), HashConflict(record.content_hash)};
  if (!record.external_id.empty()) {
    w.conflict_keys.push_back(ExternalConflict(record.external_id));
  }
  // No need to wait for the hash and external id: they point at this
  // committed sound, so no queued add can hold them (an add of either reads
  // the committed lookup and stops), and every other mutation of this sound
  // holds IdConflict(id), which we waited for.

  const std::string id_key = EncodeU64BigEndian(id);
  w.Delete(kSounds, id_key);
  ASSIGN_OR_RETURN(std::optional<std::string> preview, Read(kPreviews, id_key));
  if (preview.has_value()) {
    w.Delete(kPreviews, id_key);
    w.preview_count_delta = -1;
    w.preview_bytes_delta = -static_cast<int64_t>(preview->size());
  }
  for (const std::string& space : spaces_) w.Delete(kRaw, RawKey(space, id));
  // Lookups are removed only when they point at this sound.
  ASSIGN_OR_RETURN(std::optional<uint64_t> by_hash,
                   ReadId(kContentHashes, record.content_hash, nullptr));
  if (by_hash == id) w.Delete(kContentHashes, record.content_hash);
  if (!record.external_id.empty()) {
    ASSIGN_OR_RETURN(std::optional<uint64_t> by_ext,
                     ReadId(kExternalIds, record.external_id, nullptr));
    if (by_ext == id) w.Delete(kExternalIds, record.external_id);
  }
  w.count_delta = -1;
  LogChange(Change{0, ChangeKind::kDelete, id}, &w);
  RETURN_IF_ERROR(Submit(&w));
  return w.sequence;
}

absl::Status RocksDbSoundStore::ForEachSound(const SoundVisitor& visit) const {
  absl::Status decode_status;
  RETURN_IF_ERROR(
      ScanPrefix(kSounds, "", [&](absl::string_view, absl::string_view value) {
        absl::StatusOr<SoundRecord> sound = DecodeSoundRecord(value);
        if (!sound.ok()) {
          decode_status = sound.status();
          return false;
        }
        return visit(*sound);
      }));
  return decode_status;
}

absl::Status RocksDbSoundStore::ForEachSoundOrBad(
    const SoundVisitor& visit, const BadSoundVisitor& bad) const {
  return ScanPrefix(
      kSounds, "", [&](absl::string_view key, absl::string_view value) {
        std::optional<uint64_t> id = DecodeU64BigEndian(key);
        absl::StatusOr<SoundRecord> sound = DecodeSoundRecord(value);
        if (!id.has_value()) {
          // Not an id key: nothing can name it; Check quarantines it.
          return true;
        }
        if (!sound.ok()) return bad(*id, sound.status());
        if (sound->id != *id) {
          return bad(*id, absl::DataLossError(
                              absl::StrCat("sound record under id ", *id,
                                           " carries id ", sound->id)));
        }
        return visit(*sound);
      });
}

uint64_t RocksDbSoundStore::Count() const { return sound_count_.load(); }

// ---- Raw vectors ------------------------------------------------------------

absl::StatusOr<std::string> RocksDbSoundStore::GetRaw(absl::string_view space,
                                                      uint64_t id) const {
  RETURN_IF_ERROR(ValidateSpaceName(space));
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   Read(kRaw, RawKey(space, id)));
  if (!value.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("sound ", id, " has no raw vector in space ", space));
  }
  return std::move(*value);
}

absl::Status RocksDbSoundStore::ForEachRaw(absl::string_view space,
                                           const RawVisitor& visit) const {
  RETURN_IF_ERROR(ValidateSpaceName(space));
  absl::Status key_status;
  RETURN_IF_ERROR(
      ScanPrefix(kRaw, SpacePrefix(space),
                 [&](absl::string_view rest, absl::string_view value) {
                   std::optional<uint64_t> id = DecodeU64BigEndian(rest);
                   if (!id.has_value()) {
                     key_status = absl::DataLossError(absl::StrCat(
                         "malformed raw vector key in space ", space));
                     return false;
                   }
                   return visit(*id, value);
                 }));
  return key_status;
}

// ---- Change log -------------------------------------------------------------

uint64_t RocksDbSoundStore::LastSequence() const {
  return last_sequence_.load();
}

absl::Status RocksDbSoundStore::ForEachChangeSince(
    uint64_t after, const ChangeVisitor& visit) const {
  // Groups commit in sequence order and publish their last sequence after
  // committing, so every entry up to `last` is in the database before the
  // iterator is made.
  const uint64_t last = last_sequence_.load();
  if (after >= last) return absl::OkStatus();
  const uint64_t truncated = truncated_through_.load();
  if (after < truncated) {
    return absl::FailedPreconditionError(
        absl::StrCat("the change log is truncated through sequence ", truncated,
                     "; changes after ", after,
                     " are no longer all there (rebuild from "
                     "the stored raw vectors instead)"));
  }
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(kChanges)));
  for (it->Seek(EncodeU64BigEndian(after + 1)); it->Valid(); it->Next()) {
    std::optional<uint64_t> sequence = DecodeU64BigEndian(ToView(it->key()));
    if (!sequence.has_value()) {
      return absl::DataLossError("malformed change-log key");
    }
    if (*sequence > last) break;
    ASSIGN_OR_RETURN(Change change,
                     DecodeChange(*sequence, ToView(it->value())));
    if (!visit(change)) break;
  }
  return FromRocksDb(it->status(), "iterating the change log");
}

absl::Status RocksDbSoundStore::TruncateChangeLog(uint64_t through) {
  absl::MutexLock lock(&write_mu_);
  const uint64_t previous = truncated_through_.load();
  if (through <= previous) return absl::OkStatus();
  const uint64_t last = last_sequence_.load();
  if (through > last) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot truncate the change log through ", through,
                     ": the last sequence is ", last));
  }
  // A blind write: no conflict keys (no mutation reads the log).
  Writer w;
  w.DeleteRange(kChanges, EncodeU64BigEndian(previous + 1),
                EncodeU64BigEndian(through + 1));
  w.Put(kMeta, std::string(kTruncatedThroughKey),
        EncodeU64LittleEndian(through));
  truncated_through_.store(through);
  absl::Status status = Submit(&w);
  if (!status.ok()) truncated_through_.store(previous);
  return status;
}

uint64_t RocksDbSoundStore::DatabaseSequence() const {
  return db_->GetLatestSequenceNumber();
}

uint64_t RocksDbSoundStore::TruncatedThrough() const {
  return truncated_through_.load();
}

// ---- Models -----------------------------------------------------------------

absl::StatusOr<uint64_t> RocksDbSoundStore::PutModel(absl::string_view space,
                                                     absl::string_view kind,
                                                     absl::string_view bytes) {
  RETURN_IF_ERROR(ValidateSpaceName(space));
  RETURN_IF_ERROR(ValidateNonEmpty("model kind", kind));
  Writer w;
  w.conflict_keys = {ModelConflict(space, kind)};
  absl::MutexLock lock(&write_mu_);
  WaitForKeys(w.conflict_keys);
  const std::string key = SpaceNameKey(space, kind);
  ASSIGN_OR_RETURN(std::optional<std::string> previous, Read(kModels, key));
  StoredModel model{1, std::string(bytes)};
  if (previous.has_value()) {
    ASSIGN_OR_RETURN(StoredModel old, DecodeModel(*previous));
    model.version = old.version + 1;
  }
  w.Put(kModels, key, EncodeModel(model, NowUnixMicros()));
  RETURN_IF_ERROR(Submit(&w));
  return model.version;
}

absl::StatusOr<StoredModel> RocksDbSoundStore::GetModel(
    absl::string_view space, absl::string_view kind) const {
  RETURN_IF_ERROR(ValidateSpaceName(space));
  RETURN_IF_ERROR(ValidateNonEmpty("model kind", kind));
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   Read(kModels, SpaceNameKey(space, kind)));
  if (!value.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("no model ", kind, " in space ", space));
  }
  return DecodeModel(*value);
}

// ---- Evaluation reports -----------------------------------------------------

absl::Status RocksDbSoundStore::PutPreview(uint64_t id,
                                           absl::string_view bytes) {
  absl::MutexLock lock(&write_mu_);
  WaitForKeys({IdConflict(id)});
  // Under the writer lock with no write of this id queued: a delete cannot
  // slip between the check and the put.
  RETURN_IF_ERROR(ReadSound(id, nullptr).status());
  const std::string id_key = EncodeU64BigEndian(id);
  ASSIGN_OR_RETURN(std::optional<std::string> old, Read(kPreviews, id_key));
  Writer w;
  w.conflict_keys = {IdConflict(id)};
  w.Put(kPreviews, id_key, std::string(bytes));
  w.preview_count_delta = old.has_value() ? 0 : 1;
  w.preview_bytes_delta =
      static_cast<int64_t>(bytes.size()) -
      (old.has_value() ? static_cast<int64_t>(old->size()) : int64_t{0});
  return Submit(&w);
}

PreviewStats RocksDbSoundStore::GetPreviewStats() const {
  return PreviewStats{preview_count_.load(), preview_bytes_.load()};
}

absl::StatusOr<std::string> RocksDbSoundStore::GetPreview(uint64_t id) const {
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   Read(kPreviews, EncodeU64BigEndian(id)));
  if (!value.has_value()) {
    return absl::NotFoundError(absl::StrCat("sound ", id, " has no preview"));
  }
  return std::move(*value);
}

absl::Status RocksDbSoundStore::PutEvaluation(absl::string_view space,
                                              absl::string_view bytes) {
  RETURN_IF_ERROR(ValidateSpaceName(space));
  // A blind put: it reads nothing, so it has no conflict key.
  Writer w;
  w.Put(kMeta, EvaluationKey(space), std::string(bytes));
  absl::MutexLock lock(&write_mu_);
  return Submit(&w);
}

absl::StatusOr<std::string> RocksDbSoundStore::GetEvaluation(
    absl::string_view space) const {
  RETURN_IF_ERROR(ValidateSpaceName(space));
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   Read(kMeta, EvaluationKey(space)));
  if (!value.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("no evaluation report for space ", space));
  }
  return std::move(*value);
}

// ---- Word vectors -----------------------------------------------------------

absl::Status RocksDbSoundStore::PutWordVectors(
    absl::string_view space, const std::map<std::string, std::string>& words,
    bool replace_all) {
  RETURN_IF_ERROR(ValidateSpaceName(space));
  for (const auto& [word, bytes] : words) {
    RETURN_IF_ERROR(ValidateNonEmpty("word", word));
  }
  Writer w;
  w.conflict_keys = {WordsConflict(space)};
  absl::MutexLock lock(&write_mu_);
  WaitForKeys(w.conflict_keys);
  if (replace_all) {
    RETURN_IF_ERROR(ScanPrefix(kWords, SpacePrefix(space),
                               [&](absl::string_view word, absl::string_view) {
                                 if (words.count(std::string(word)) == 0) {
                                   w.Delete(kWords, SpaceNameKey(space, word));
                                 }
                                 return true;
                               }));
  }
  for (const auto& [word, bytes] : words) {
    w.Put(kWords, SpaceNameKey(space, word), bytes);
  }
  return Submit(&w);
}

absl::StatusOr<std::string> RocksDbSoundStore::GetWordVector(
    absl::string_view space, absl::string_view word) const {
  RETURN_IF_ERROR(ValidateSpaceName(space));
  RETURN_IF_ERROR(ValidateNonEmpty("word", word));
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   Read(kWords, SpaceNameKey(space, word)));
  if (!value.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("no word vector for \"", word, "\" in space ", space));
  }
  return std::move(*value);
}

absl::Status RocksDbSoundStore::DeleteWordVector(absl::string_view space,
                                                 absl::string_view word) {
  RETURN_IF_ERROR(ValidateSpaceName(space));
  RETURN_IF_ERROR(ValidateNonEmpty("word", word));
  Writer w;
  w.conflict_keys = {WordsConflict(space)};
  absl::MutexLock lock(&write_mu_);
  WaitForKeys(w.conflict_keys);
  const std::string key = SpaceNameKey(space, word);
  ASSIGN_OR_RETURN(std::optional<std::string> value, Read(kWords, key));
  if (!value.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("no word vector for \"", word, "\" in space ", space));
  }
  w.Delete(kWords, key);
  return Submit(&w);
}

absl::Status RocksDbSoundStore::ForEachWordVector(
    absl::string_view space, const WordVectorVisitor& visit) const {
  RETURN_IF_ERROR(ValidateSpaceName(space));
  return ScanPrefix(kWords, SpacePrefix(space), visit);
}

// ---- Snapshot marks ---------------------------------------------------------

absl::Status RocksDbSoundStore::PutSnapshotMark(absl::string_view space,
                                                const SnapshotMark& mark) {
  RETURN_IF_ERROR(ValidateSpaceName(space));
  const uint64_t last = last_sequence_.load();
  if (mark.sequence > last) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot mark sequence ", mark.sequence,
                     " is beyond the store's last sequence ", last));
  }
  Writer w;
  w.Put(kMeta, SnapshotMarkKey(space), EncodeSnapshotMark(mark));
  absl::MutexLock lock(&write_mu_);
  return Submit(&w);
}

absl::StatusOr<SnapshotMark> RocksDbSoundStore::GetSnapshotMark(
    absl::string_view space) const {
  RETURN_IF_ERROR(ValidateSpaceName(space));
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   Read(kMeta, SnapshotMarkKey(space)));
  if (!value.has_value()) {
    return absl::NotFoundError(absl::StrCat("no snapshot mark for ", space));
  }
  return DecodeSnapshotMark(*value);
}

// ---- Quarantine -------------------------------------------------------------

void RocksDbSoundStore::Quarantine(Family family, const std::string& key,
                                   const std::string& value,
                                   absl::string_view reason, uint64_t sound_id,
                                   Writer* w) {
  QuarantinedRecord record;
  record.family = kFamilyNames[family];
  record.key = key;
  record.value = value;
  record.reason = std::string(reason);
  record.quarantined_unix_micros = NowUnixMicros();
  record.sound_id = sound_id;
  w->Delete(family, key);
  w->Put(kMeta, QuarantineKey(record.family, key), EncodeQuarantined(record));
}

absl::StatusOr<uint64_t> RocksDbSoundStore::AddQuarantineOps(
    const std::map<uint64_t, std::string>& reasons, Writer* w) {
  // The lookups that point at these sounds: an undecodable record does not
  // say its hash or external id, so both families are scanned once.
  std::map<uint64_t, std::vector<std::pair<Family, std::string>>> lookups;
  for (Family family : {kContentHashes, kExternalIds}) {
    RETURN_IF_ERROR(ScanPrefix(
        family, "", [&](absl::string_view key, absl::string_view value) {
          std::optional<uint64_t> id = DecodeU64BigEndian(value);
          if (id.has_value() && reasons.count(*id) > 0) {
            lookups[*id].emplace_back(family, std::string(key));
          }
          return true;
        }));
  }
  uint64_t moved = 0;
  for (const auto& [id, reason] : reasons) {
    const std::string id_key = EncodeU64BigEndian(id);
    ASSIGN_OR_RETURN(std::optional<std::string> record, Read(kSounds, id_key));
    if (!record.has_value()) continue;
    ++moved;
    Quarantine(kSounds, id_key, *record, reason, id, w);
    for (const std::string& space : spaces_) {
      const std::string key = RawKey(space, id);
      ASSIGN_OR_RETURN(std::optional<std::string> raw, Read(kRaw, key));
      if (raw.has_value()) Quarantine(kRaw, key, *raw, reason, id, w);
    }
    ASSIGN_OR_RETURN(std::optional<std::string> preview,
                     Read(kPreviews, id_key));
    if (preview.has_value()) {
      Quarantine(kPreviews, id_key, *preview, reason, id, w);
      w->preview_count_delta -= 1;
      w->preview_bytes_delta -= static_cast<int64_t>(preview->size());
    }
    for (const auto& [family, key] : lookups[id]) {
      Quarantine(family, key, id_key, reason, id, w);
      w->conflict_keys.push_back(
          family == kContentHashes ? HashConflict(key) : ExternalConflict(key));
    }
    w->count_delta -= 1;
    LogChange(Change{0, ChangeKind::kDelete, id}, w);
  }
  return moved;
}

absl::StatusOr<uint64_t> RocksDbSoundStore::QuarantineSounds(
    const std::map<uint64_t, std::string>& reasons) {
  if (reasons.empty()) return 0;
  Writer w;
  for (const auto& [id, reason] : reasons) {
    w.conflict_keys.push_back(IdConflict(id));
  }
  absl::MutexLock lock(&write_mu_);
  WaitForKeys(w.conflict_keys);
  ASSIGN_OR_RETURN(uint64_t moved, AddQuarantineOps(reasons, &w));
  if (moved == 0) return 0;
  RETURN_IF_ERROR(Submit(&w));
  return moved;
}

absl::StatusOr<uint64_t> RocksDbSoundStore::QuarantineUndecodableChanges() {
  Writer w;
  absl::MutexLock lock(&write_mu_);
  uint64_t n = 0;
  RETURN_IF_ERROR(ScanPrefix(
      kChanges, "", [&](absl::string_view key, absl::string_view value) {
        std::optional<uint64_t> sequence = DecodeU64BigEndian(key);
        absl::Status decoded =
            sequence.has_value()
                ? DecodeChange(*sequence, value).status()
                : absl::DataLossError("malformed change-log key");
        if (!decoded.ok()) {
          Quarantine(kChanges, std::string(key), std::string(value),
                     decoded.message(), 0, &w);
          ++n;
        }
        return true;
      }));
  if (n == 0) return 0;
  RETURN_IF_ERROR(Submit(&w));
  return n;
}

absl::Status RocksDbSoundStore::ForEachQuarantined(
    const QuarantineVisitor& visit) const {
  absl::Status decode_status;
  RETURN_IF_ERROR(ScanPrefix(kMeta, kQuarantineKeyPrefix,
                             [&](absl::string_view, absl::string_view value) {
                               absl::StatusOr<QuarantinedRecord> record =
                                   DecodeQuarantined(value);
                               if (!record.ok()) {
                                 decode_status = record.status();
                                 return false;
                               }
                               return visit(*record);
                             }));
  return decode_status;
}

absl::Status RocksDbSoundStore::SubmitRepair(Writer* w) {
  absl::MutexLock lock(&write_mu_);
  return Submit(w);
}

// ---- Write health -----------------------------------------------------------

void RocksDbSoundStore::NoteWrite(const absl::Status& status) const {
  absl::MutexLock lock(&health_mu_);
  if (status.ok()) {
    write_error_ = absl::OkStatus();
  } else if (absl::IsUnavailable(status)) {
    write_error_ = status;
  }
}

absl::Status RocksDbSoundStore::WriteHealth() const {
  absl::MutexLock lock(&health_mu_);
  return write_error_;
}

absl::Status RocksDbSoundStore::Resume() {
  if (WriteHealth().ok()) return absl::OkStatus();
  // Clears RocksDB's background error (it flushes the memtables, so it
  // needs room on the disk); OK when there was none.
  absl::Status resumed = FromRocksDb(db_->Resume(), "resuming writes");
  if (resumed.ok()) {
    rocksdb::WriteBatch probe;
    probe.Put(cf(kMeta), ToSlice(kWriteProbeKey),
              EncodeU64LittleEndian(static_cast<uint64_t>(NowUnixMicros())));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    resumed = FromRocksDb(db_->Write(wo, &probe), "probing the store");
  }
  if (resumed.ok()) {
    NoteWrite(resumed);
    return resumed;
  }
  return absl::UnavailableError(
      absl::StrCat("the store still cannot write: ", resumed.message()));
}

}  // namespace soundsearch
