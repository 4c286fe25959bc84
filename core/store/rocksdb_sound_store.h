// RocksDbSoundStore: the SoundStore implementation, and the RocksDB adapter
// (the only code of the store that sees rocksdb::Status). Layout:
// docs/storage.md.
#ifndef SOUNDSEARCH_STORE_ROCKSDB_SOUND_STORE_H_
#define SOUNDSEARCH_STORE_ROCKSDB_SOUND_STORE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "soundsearch/sound_store.h"

namespace soundsearch {

// Thread-safety: as SoundStore. Mutations are linearised through write_mu_
// and a FIFO writer queue; concurrent writers share one synced WAL write
// (group commit, see Submit). Readers use RocksDB's own thread-safe reads and
// consistent iterators and take no lock.
class RocksDbSoundStore final : public SoundStore {
 public:
  // Column families, in the order of their handles.
  enum Family : int {
    kMeta = 0,       // "default": store metadata, marks, evaluation reports
    kSounds,         // id -> SoundMeta
    kRaw,            // space NUL id -> raw bytes
    kModels,         // space NUL kind -> ModelRecord
    kWords,          // space NUL word -> word vector bytes
    kExternalIds,    // external id -> id
    kContentHashes,  // content hash -> id
    kChanges,        // sequence -> ChangeEntry
    kPreviews,       // id -> preview bytes (blob files); created when missing
    kNumFamilies,
  };
  // RocksDB names of the families above, indexed by Family.
  static const char* const kFamilyNames[kNumFamilies];

  // See SoundStore::Open. `options` must be valid (SoundStore::Open checks).
  static absl::StatusOr<std::unique_ptr<SoundStore>> OpenValidated(
      const SoundStoreOptions& options);

  ~RocksDbSoundStore() override;
  RocksDbSoundStore(const RocksDbSoundStore&) = delete;
  RocksDbSoundStore& operator=(const RocksDbSoundStore&) = delete;

  using SoundStore::AddSound;
  absl::StatusOr<AddResult> AddSound(
      const SoundRecord& sound,
      const std::map<std::string, std::string>& raw_by_space,
      absl::string_view preview) override;
  absl::StatusOr<SoundRecord> GetSound(uint64_t id) const override;
  // One RocksDB MultiGet (one view of the store, the keys sorted and their
  // blocks read once each).
  std::vector<absl::StatusOr<SoundRecord>> GetSounds(
      absl::Span<const uint64_t> ids) const override;
  absl::StatusOr<SoundRecord> FindByExternalId(
      absl::string_view external_id) const override;
  absl::StatusOr<SoundRecord> FindByContentHash(
      absl::string_view content_hash) const override;
  absl::StatusOr<uint64_t> DeleteSound(uint64_t id) override;
  absl::Status ForEachSound(const SoundVisitor& visit) const override;
  absl::Status ForEachSoundOrBad(const SoundVisitor& visit,
                                 const BadSoundVisitor& bad) const override;
  uint64_t Count() const override;

  absl::StatusOr<std::string> GetRaw(absl::string_view space,
                                     uint64_t id) const override;
  absl::Status ForEachRaw(absl::string_view space,
                          const RawVisitor& visit) const override;

  uint64_t LastSequence() const override;
  absl::Status ForEachChangeSince(uint64_t after,
                                  const ChangeVisitor& visit) const override;
  absl::Status TruncateChangeLog(uint64_t through) override;
  uint64_t TruncatedThrough() const override;
  uint64_t DatabaseSequence() const override;

  absl::StatusOr<uint64_t> PutModel(absl::string_view space,
                                    absl::string_view kind,
                                    absl::string_view bytes) override;
  absl::StatusOr<StoredModel> GetModel(absl::string_view space,
                                       absl::string_view kind) const override;

  absl::Status PutPreview(uint64_t id, absl::string_view bytes) override;
  absl::StatusOr<std::string> GetPreview(uint64_t id) const override;
  PreviewStats GetPreviewStats() const override;
  absl::Status PutEvaluation(absl::string_view space,
                             absl::string_view bytes) override;
  absl::StatusOr<std::string> GetEvaluation(
      absl::string_view space) const override;

  absl::Status PutWordVectors(absl::string_view space,
                              const std::map<std::string, std::string>& words,
                              bool replace_all) override;
  absl::StatusOr<std::string> GetWordVector(
      absl::string_view space, absl::string_view word) const override;
  absl::Status DeleteWordVector(absl::string_view space,
                                absl::string_view word) override;
  absl::Status ForEachWordVector(absl::string_view space,
                                 const WordVectorVisitor& visit) const override;

  absl::Status PutSnapshotMark(absl::string_view space,
                               const SnapshotMark& mark) override;
  absl::StatusOr<SnapshotMark> GetSnapshotMark(
      absl::string_view space) const override;

  absl::StatusOr<uint64_t> QuarantineSounds(
      const std::map<uint64_t, std::string>& reasons) override;
  absl::StatusOr<uint64_t> QuarantineUndecodableChanges() override;
  absl::Status ForEachQuarantined(
      const QuarantineVisitor& visit) const override;

  // store_check.cc
  absl::StatusOr<StoreCheckReport> Check(bool repair) override;

  absl::Status WriteHealth() const override;
  absl::Status Resume() override;

 private:
  // One queued mutation: its RocksDB operations and what it changes in memory
  // once committed.
  struct Writer {
    enum class Kind { kPut, kDelete, kDeleteRange };
    struct Op {
      Family family;
      Kind kind;
      std::string key;
      std::string value;  // kPut: the value; kDeleteRange: the end key
    };
    void Put(Family f, std::string key, std::string value) {
      ops.push_back(Op{f, Kind::kPut, std::move(key), std::move(value)});
    }
    void Delete(Family f, std::string key) {
      ops.push_back(Op{f, Kind::kDelete, std::move(key), std::string()});
    }
    // Deletes the keys in [begin, end).
    void DeleteRange(Family f, std::string begin, std::string end) {
      ops.push_back(
          Op{f, Kind::kDeleteRange, std::move(begin), std::move(end)});
    }

    std::vector<Op> ops;
    // Held in pending_keys_ from Submit until committed (see WaitForKeys).
    std::vector<std::string> conflict_keys;
    std::vector<std::string> new_spaces;  // registered by this write
    uint64_t sequence = 0;    // change-log sequence taken; 0 when none
    uint64_t new_id = 0;      // id taken by an add; 0 when none
    int64_t count_delta = 0;  // +1 add, -1 delete
    int64_t preview_count_delta = 0;
    int64_t preview_bytes_delta = 0;
    absl::Status status;  // set by the leader that committed it
    bool done = false;
    absl::CondVar cv;  // signalled when done or at the queue front
  };

  // Takes ownership of `db` and of `handles` (one per Family, then any
  // unknown families of the database, kept open only to be closed).
  RocksDbSoundStore(std::string path, bool sync_writes, rocksdb::DB* db,
                    std::vector<rocksdb::ColumnFamilyHandle*> handles);

  // Writes a fresh store's metadata (schema version, counters).
  absl::Status Initialize();
  // Reads counters and the space registry into memory.
  absl::Status Load();
  // A store written before the "previews" family: moves its previews there
  // from the "default" family and writes the preview counters (idempotent,
  // in batches, so a cut-short move resumes at the next open). Before the
  // store is shared.
  absl::Status MovePreviews();

  rocksdb::ColumnFamilyHandle* cf(Family f) const { return handles_[f]; }
  // The value of `key`, nullopt when absent. `snapshot` may be null.
  absl::StatusOr<std::optional<std::string>> Read(
      Family family, absl::string_view key,
      const rocksdb::Snapshot* snapshot = nullptr) const;
  // Reads an id stored as a lookup value (8-byte big-endian).
  absl::StatusOr<std::optional<uint64_t>> ReadId(
      Family family, absl::string_view key,
      const rocksdb::Snapshot* snapshot) const;
  absl::StatusOr<SoundRecord> ReadSound(
      uint64_t id, const rocksdb::Snapshot* snapshot) const;
  // Visits every key of `family` starting with `prefix`; `visit` gets the key
  // without the prefix. Stops when `visit` returns false.
  absl::Status ScanPrefix(
      Family family, absl::string_view prefix,
      const std::function<bool(absl::string_view rest,
                               absl::string_view value)>& visit) const;

  // --- Group commit (leveldb's DBImpl::Write, with our own checks) ---
  // A mutation: (1) locks write_mu_, (2) WaitForKeys(its conflict keys), so
  // that no queued, uncommitted write touches what it is about to read,
  // (3) reads and checks, (4) fills a Writer (ids and sequences are taken
  // here, in queue order), (5) Submit()s it. The writer at the front of the
  // queue commits every queued writer in one RocksDB batch (one WAL sync)
  // with the store counters of the group, publishes the results and wakes
  // them. So commit order is queue order and the on-disk counters always
  // match the data.
  void WaitForKeys(const std::vector<std::string>& keys)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status Submit(Writer* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Adds to `w` the moves of sounds `reasons` to the quarantine (see
  // QuarantineSounds); returns how many sounds it moves.
  absl::StatusOr<uint64_t> AddQuarantineOps(
      const std::map<uint64_t, std::string>& reasons, Writer* w)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Adds to `w` the move of one record (family, key, value) to the
  // quarantine.
  static void Quarantine(Family family, const std::string& key,
                         const std::string& value, absl::string_view reason,
                         uint64_t sound_id, Writer* w);
  // Commits `w` alone, for Check's repairs (no conflict keys).
  absl::Status SubmitRepair(Writer* w);
  // Records the outcome of a write for WriteHealth.
  void NoteWrite(const absl::Status& status) const;
  // Adds to `w` the registry entry of `space` when the store does not know
  // it yet.
  void RegisterSpace(absl::string_view space, Writer* w)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Takes the next sequence for `change` and adds its change-log entry to
  // `w`. The sequence is consumed even if the commit fails, so that a write
  // that failed after reaching the log never shares it with a later one.
  void LogChange(Change change, Writer* w)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  const std::string path_;
  const bool sync_writes_;
  rocksdb::DB* const db_;  // owned; deleted after handles_ in the destructor
  const std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned

  absl::Mutex write_mu_;
  // Next id and sequence to hand out; consumed even when a commit fails.
  uint64_t next_id_ ABSL_GUARDED_BY(write_mu_) = 1;
  uint64_t next_sequence_ ABSL_GUARDED_BY(write_mu_) = 1;
  // Writers waiting to commit, front = the one committing.
  std::deque<Writer*> writers_ ABSL_GUARDED_BY(write_mu_);
  // Conflict keys of the queued writers (see WaitForKeys).
  absl::flat_hash_set<std::string> pending_keys_ ABSL_GUARDED_BY(write_mu_);
  // Signalled after every group commit.
  absl::CondVar committed_cv_;
  // Published after each successful commit; written only under write_mu_.
  std::atomic<uint64_t> last_sequence_{0};
  std::atomic<uint64_t> sound_count_{0};
  std::atomic<uint64_t> preview_count_{0};
  std::atomic<uint64_t> preview_bytes_{0};
  // TruncatedThrough(); raised before a truncation commits (so readers
  // refuse early rather than miss entries), restored if it fails.
  std::atomic<uint64_t> truncated_through_{0};

  // The error of the last failed write when it was Unavailable (the store
  // cannot write), cleared by the next write that succeeds.
  mutable absl::Mutex health_mu_;
  mutable absl::Status write_error_ ABSL_GUARDED_BY(health_mu_);

  // Every space that has held a raw vector (the registry), so that a delete
  // removes the sound's raw vector in each.
  std::set<std::string> spaces_ ABSL_GUARDED_BY(write_mu_);
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_STORE_ROCKSDB_SOUND_STORE_H_
