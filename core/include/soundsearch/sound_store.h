// SoundStore: the durable source of truth of a soundsearch server. It keeps
// sound metadata, the raw (pooled, unprojected) vector of every sound in
// every space, fitted models, evaluation reports, word vectors, index
// snapshot marks and a change log that lets a derived index catch up. Key
// layout and value encodings: docs/storage.md.
//
// Names used below:
//   space  an embedding space name ("dsp", "efficientat"): 1 to 128 bytes,
//          no NUL byte.
//   raw    opaque bytes, one per (space, sound id); the embedding module
//          defines their encoding.
//
// Durability: with SoundStoreOptions::sync_writes (the default) every
// mutating call returns only after its write-ahead-log record is on stable
// storage; each call's effects are committed in one atomic RocksDB
// WriteBatch (shared with concurrent calls), so after a crash either all of
// them are present or none are.
#ifndef SOUNDSEARCH_SOUND_STORE_H_
#define SOUNDSEARCH_SOUND_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "soundsearch/sound_record.h"

namespace soundsearch {

struct SoundStoreOptions {
  // Directory of the RocksDB database. Required.
  std::string path;
  // Create an empty store when `path` holds none; otherwise Open() fails with
  // NotFound.
  bool create_if_missing = true;
  // Sync the write-ahead log before a mutating call returns. Turning it off
  // trades durability of the last writes on power loss (not on a process
  // crash) for throughput; meant for rebuildable bulk imports and tests.
  bool sync_writes = true;
  // RocksDB block cache for reads, in MiB. Must be >= 0 (0: RocksDB default).
  int block_cache_mb = 64;
  // Memtable size per column family, in MiB; >= 0 (0: RocksDB's default,
  // 64 MiB). The write-ahead log preallocates about as much; small values
  // flush sooner (tests that fill a small disk).
  int write_buffer_mb = 0;
  // Memtable memory of all column families together, in MiB; >= 0 (0: no
  // overall bound, each family may hold two of its own memtables). When the
  // families' memtables pass it, RocksDB flushes one of them to disk, so the
  // store's write memory stays bounded however the writes are spread. The
  // write-ahead logs are bounded to four budgets the same way.
  int memtable_budget_mb = 64;
};

// What AddSound did.
struct AddResult {
  // The new sound's id, or the existing one's.
  uint64_t id = 0;
  // True when a sound with the same content_hash was already stored; nothing
  // was written.
  bool duplicate = false;
  // Change-log sequence of the add; 0 when duplicate.
  uint64_t sequence = 0;
};

enum class ChangeKind : int {
  kAdd = 1,     // a sound and its raw vectors appeared
  kDelete = 2,  // a sound and its raw vectors disappeared
};

// One change-log entry.
struct Change {
  uint64_t sequence = 0;  // store sequence, >= 1, strictly increasing
  ChangeKind kind = ChangeKind::kAdd;
  uint64_t id = 0;  // the sound concerned
};

// A fitted model (PCA, BoAW codebook...) as stored.
struct StoredModel {
  // Assigned by PutModel: 1 for the first model of a (space, kind), then +1
  // per put.
  uint64_t version = 0;
  std::string bytes;  // opaque; the owning module defines the encoding
};

// Where a persisted index snapshot of a space stands.
struct SnapshotMark {
  // Store sequence the snapshot reflects: it contains every change with
  // sequence <= this and none after.
  uint64_t sequence = 0;
  // Opaque to the store (e.g. the snapshot file's path or a URI).
  std::string location;
};

// A record taken out of service by the quarantine (docs/storage.md,
// "Quarantine"): kept as it was, with why.
struct QuarantinedRecord {
  std::string family;  // column family it was in ("sounds", "raw", ...)
  std::string key;     // its key there (bytes)
  std::string value;   // its value, as it was
  std::string reason;
  int64_t quarantined_unix_micros = 0;
  uint64_t sound_id = 0;  // the sound it belonged to; 0 for a log entry
};

// What SoundStore::Check found and, with repair, did. Each line is one
// finding, for an operator to read.
// SoundStore::GetPreviewStats.
struct PreviewStats {
  uint64_t count = 0;  // sounds with a preview
  uint64_t bytes = 0;  // their previews' bytes, all told
};

struct StoreCheckReport {
  uint64_t sounds = 0;       // live sound records read
  uint64_t raw_vectors = 0;  // raw vectors read, all spaces
  uint64_t changes = 0;      // change-log entries read
  uint64_t quarantined = 0;  // records in quarantine when the check ended
  std::vector<std::string> problems;  // found (and repaired, if `repairs`)
  std::vector<std::string> repairs;   // what repair did
  // Problems that repair could not fix (or all of them, without repair).
  uint64_t unrepaired = 0;
};

// Iteration callbacks return true to go on, false to stop early. Iterations
// read one consistent point-in-time view, taken when they start; they do not
// see writes that commit while they run. A callback may call any method of
// the store, including mutating ones (no lock is held while it runs).
using SoundVisitor = std::function<bool(const SoundRecord& sound)>;
using RawVisitor = std::function<bool(uint64_t id, absl::string_view raw)>;
using ChangeVisitor = std::function<bool(const Change& change)>;
using WordVectorVisitor =
    std::function<bool(absl::string_view word, absl::string_view bytes)>;
// A sound record that does not decode: its id (from its key) and the error.
using BadSoundVisitor =
    std::function<bool(uint64_t id, const absl::Status& error)>;
using QuarantineVisitor = std::function<bool(const QuarantinedRecord& record)>;

// Thread-safety: every method is safe to call from many threads at once.
// Mutating calls are linearisable; concurrent ones are committed together
// (group commit: one WAL sync for all of them), so several writer threads
// get more throughput than one. Readers never wait for writers.
class SoundStore {
 public:
  // Schema version written into a new store and required of an existing one.
  static constexpr uint32_t kSchemaVersion = 1;

  virtual ~SoundStore() = default;

  // Opens (or creates) the store at options.path. InvalidArgument for bad
  // options; NotFound when there is no store and create_if_missing is false;
  // FailedPrecondition when the directory holds a store of another schema
  // version or something that is not a soundsearch store; Internal/Unavailable
  // for I/O errors, including a store already open elsewhere (RocksDB's
  // message is kept: "lock ...").
  static absl::StatusOr<std::unique_ptr<SoundStore>> Open(
      const SoundStoreOptions& options);

  // ---- Sounds ---------------------------------------------------------------

  // Stores `sound` (its id must be 0) with one raw vector per space
  // (`raw_by_space`: space -> bytes; may be empty) and logs a kAdd, in one
  // atomic write. When a sound with the same content_hash exists, writes
  // nothing and returns its id with duplicate = true. InvalidArgument for a
  // non-zero id, an empty content_hash or a bad space name; AlreadyExists
  // when external_id is non-empty and used by a different sound.
  // `preview`, when not empty, is stored as the sound's preview in the same
  // write (PutPreview).
  virtual absl::StatusOr<AddResult> AddSound(
      const SoundRecord& sound,
      const std::map<std::string, std::string>& raw_by_space,
      absl::string_view preview) = 0;
  absl::StatusOr<AddResult> AddSound(
      const SoundRecord& sound,
      const std::map<std::string, std::string>& raw_by_space) {
    return AddSound(sound, raw_by_space, absl::string_view());
  }

  // NotFound for an unknown id.
  virtual absl::StatusOr<SoundRecord> GetSound(uint64_t id) const = 0;
  // GetSound of each id, in order (NotFound for an unknown one), read from
  // one view of the store: the records of a result page in one call. The
  // default calls GetSound per id; a store may batch the reads.
  virtual std::vector<absl::StatusOr<SoundRecord>> GetSounds(
      absl::Span<const uint64_t> ids) const;
  // NotFound when no sound carries `external_id`.
  virtual absl::StatusOr<SoundRecord> FindByExternalId(
      absl::string_view external_id) const = 0;
  // NotFound when no sound carries `content_hash`.
  virtual absl::StatusOr<SoundRecord> FindByContentHash(
      absl::string_view content_hash) const = 0;

  // Removes the sound, its raw vectors in every space and its lookups, and
  // logs a kDelete, in one atomic write; returns the delete's sequence.
  // NotFound for an unknown (or already deleted) id. The id is not reused.
  virtual absl::StatusOr<uint64_t> DeleteSound(uint64_t id) = 0;

  // Visits every sound in increasing id order. DataLoss for a record that
  // does not decode (ForEachSoundOrBad goes on past it).
  virtual absl::Status ForEachSound(const SoundVisitor& visit) const = 0;
  // As ForEachSound, but a record that does not decode, or whose id is not
  // its key's, goes to `bad` instead of ending the iteration.
  virtual absl::Status ForEachSoundOrBad(const SoundVisitor& visit,
                                         const BadSoundVisitor& bad) const = 0;

  // Number of sounds stored.
  virtual uint64_t Count() const = 0;

  // ---- Raw vectors ----------------------------------------------------------

  // NotFound when the sound has no raw vector in `space`.
  virtual absl::StatusOr<std::string> GetRaw(absl::string_view space,
                                             uint64_t id) const = 0;
  // Visits the raw vectors of `space` in increasing id order.
  virtual absl::Status ForEachRaw(absl::string_view space,
                                  const RawVisitor& visit) const = 0;

  // ---- Change log -----------------------------------------------------------

  // Sequence of the latest committed change; 0 for a store never changed.
  // Every change with a sequence <= LastSequence() is visible to
  // ForEachChangeSince once this returns.
  virtual uint64_t LastSequence() const = 0;
  // Visits the changes with sequence > `after`, in increasing order. To bring
  // an index that reflects sequence S up to date: replay
  // ForEachChangeSince(S) (kAdd: read GetRaw; kDelete: remove).
  // FailedPrecondition when the log was truncated past `after`
  // (after < TruncatedThrough()): such a reader must rebuild from the raw
  // vectors. DataLoss for an entry that does not decode.
  virtual absl::Status ForEachChangeSince(uint64_t after,
                                          const ChangeVisitor& visit) const = 0;
  // Deletes every change-log entry with sequence <= `through`, in one atomic
  // write with the new TruncatedThrough(). A `through` at or below
  // TruncatedThrough() does nothing. InvalidArgument when `through` >
  // LastSequence(). The caller keeps every entry some reader still needs
  // (the oldest index snapshot, a refit in progress).
  virtual absl::Status TruncateChangeLog(uint64_t through) = 0;
  // The highest sequence truncated away; 0 for a log never truncated.
  virtual uint64_t TruncatedThrough() const = 0;
  // The database's own write sequence: it moves with every write of any
  // kind (the change log's LastSequence() moves only with logged changes),
  // and is kept across a close and reopen. Lets a reader tell whether the
  // store was written at all since it last looked.
  virtual uint64_t DatabaseSequence() const = 0;

  // ---- Fitted models (per space and kind, e.g. "pca", "boaw_codebook") ------

  // Stores `bytes` as the newest model of (space, kind); returns its version.
  // InvalidArgument for a bad space or an empty kind.
  virtual absl::StatusOr<uint64_t> PutModel(absl::string_view space,
                                            absl::string_view kind,
                                            absl::string_view bytes) = 0;
  // NotFound when (space, kind) has no model.
  virtual absl::StatusOr<StoredModel> GetModel(
      absl::string_view space, absl::string_view kind) const = 0;

  // ---- Evaluation reports (one per space; bytes are opaque) -----------------

  // Replaces the latest evaluation report of `space` (not versioned, not
  // logged). InvalidArgument for a bad space.
  virtual absl::Status PutEvaluation(absl::string_view space,
                                     absl::string_view bytes) = 0;
  // NotFound when the space has no report.
  virtual absl::StatusOr<std::string> GetEvaluation(
      absl::string_view space) const = 0;

  // ---- Audio previews (per sound; bytes are opaque) ------------------------

  // Stores the preview of sound `id`, replacing any (not logged). DeleteSound
  // removes it in the sound's own write; QuarantineSounds moves it to the
  // quarantine with the sound. NotFound for an unknown id. The RocksDB store
  // keeps previews in their own family, in blob files (docs/storage.md).
  virtual absl::Status PutPreview(uint64_t id, absl::string_view bytes) = 0;
  // NotFound when the sound has no preview (or does not exist).
  virtual absl::StatusOr<std::string> GetPreview(uint64_t id) const = 0;
  // How many previews the store holds and their bytes, from counters kept
  // in the same writes as the previews (no scan).
  virtual PreviewStats GetPreviewStats() const = 0;

  // ---- Word vectors (per space and word; bytes are opaque) ------------------

  // Writes many word vectors of one space in one atomic write. When
  // `replace_all`, every other word vector of the space is removed in the same
  // write (recomputing a space's vocabulary). InvalidArgument for a bad space
  // or an empty word.
  virtual absl::Status PutWordVectors(
      absl::string_view space, const std::map<std::string, std::string>& words,
      bool replace_all) = 0;
  // NotFound when absent.
  virtual absl::StatusOr<std::string> GetWordVector(
      absl::string_view space, absl::string_view word) const = 0;
  // NotFound when absent.
  virtual absl::Status DeleteWordVector(absl::string_view space,
                                        absl::string_view word) = 0;
  // Visits the word vectors of `space` in bytewise order of the word.
  virtual absl::Status ForEachWordVector(
      absl::string_view space, const WordVectorVisitor& visit) const = 0;

  // ---- Quarantine (docs/storage.md, "Quarantine")
  // ----------------------------

  // Takes the sounds of `reasons` (id -> why) out of service, keeping their
  // bytes: each one's metadata record (decodable or not), its raw vector in
  // every space, the lookups (content hash, external id) that point at it,
  // and its preview move to the quarantine, and a kDelete is logged for it
  // (Check's repair restores the preview with the sound); one atomic write
  // for all. Ids without a record are skipped. Returns the number of sounds
  // quarantined.
  virtual absl::StatusOr<uint64_t> QuarantineSounds(
      const std::map<uint64_t, std::string>& reasons) = 0;
  // Moves the change-log entries that do not decode to the quarantine;
  // returns how many.
  virtual absl::StatusOr<uint64_t> QuarantineUndecodableChanges() = 0;
  // Visits the quarantined records in key order (family, then key).
  virtual absl::Status ForEachQuarantined(
      const QuarantineVisitor& visit) const = 0;

  // ---- Offline check
  // ----------------------------------------------------------

  // Verifies the store's own invariants: every sound record decodes and
  // carries its key's id; every content-hash and external-id lookup points
  // at a live sound that carries it, and every live sound's lookups exist;
  // every raw vector belongs to a live sound of a registered space; every
  // change-log entry decodes; the counters (sound_count, next_id,
  // last_sequence) match the data. With `repair`: a record whose only fault
  // is text that is not UTF-8 is rewritten with that text escaped (also one
  // in quarantine, which is then restored when its hash and external id are
  // free); an undecodable record, change entry or orphan raw vector is
  // quarantined; dangling lookups are deleted, missing ones written;
  // counters are rewritten. Meant for a store no server has open.
  virtual absl::StatusOr<StoreCheckReport> Check(bool repair) = 0;

  // ---- Write health
  // -----------------------------------------------------------

  // OK while writes succeed. After a write failed because the store could
  // not write (no space left, an I/O error), that Unavailable error, until a
  // write or Resume succeeds. Cheap; thread-safe.
  virtual absl::Status WriteHealth() const = 0;
  // When WriteHealth is not OK: asks RocksDB to resume (it clears its
  // background error once the disk has room again) and probes with a small
  // synced write. OK when the store writes again (WriteHealth is then OK);
  // the failure otherwise. Cheap when healthy.
  virtual absl::Status Resume() = 0;

  // ---- Index snapshot marks -------------------------------------------------

  // InvalidArgument for a bad space or a mark.sequence > LastSequence().
  virtual absl::Status PutSnapshotMark(absl::string_view space,
                                       const SnapshotMark& mark) = 0;
  // NotFound when the space has no mark.
  virtual absl::StatusOr<SnapshotMark> GetSnapshotMark(
      absl::string_view space) const = 0;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SOUND_STORE_H_
