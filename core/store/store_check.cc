// RocksDbSoundStore::Check: the offline verification and repair of the
// store's own invariants (sound_store.h). The collection adds the checks
// that need the spaces (collection_check.h).
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "soundsearch/status_macros.h"
#include "soundsearch/text.h"
#include "store/key_codec.h"
#include "store/record_codec.h"
#include "store/rocksdb_sound_store.h"
#include "store/rocksdb_status.h"

namespace soundsearch {
namespace {

rocksdb::Slice ToSlice(absl::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}

// A key for messages: printable as it is, hex otherwise.
std::string ShowKey(absl::string_view key) {
  for (char c : key) {
    if (c < 0x20 || c > 0x7e)
      return absl::StrCat("0x", absl::BytesToHexString(key));
  }
  return std::string(key);
}

struct LiveSound {
  std::string content_hash;
  std::string external_id;
};

}  // namespace

absl::StatusOr<StoreCheckReport> RocksDbSoundStore::Check(bool repair) {
  StoreCheckReport report;
  // A problem found; `fix` (may be empty) says what repair does about it.
  auto found = [&](std::string problem, std::string fix) {
    report.problems.push_back(std::move(problem));
    if (repair && !fix.empty()) {
      report.repairs.push_back(std::move(fix));
    } else {
      ++report.unrepaired;
    }
  };
  Writer w;  // the repairs, committed together at the end
  std::map<uint64_t, LiveSound> live;
  std::map<uint64_t, std::string> to_quarantine;  // id -> why
  uint64_t max_id = 0;

  // 1. Sound records.
  RETURN_IF_ERROR(ScanPrefix(
      kSounds, "", [&](absl::string_view key, absl::string_view value) {
        std::optional<uint64_t> id = DecodeU64BigEndian(key);
        if (!id.has_value()) {
          found(
              absl::StrCat("sounds: malformed key ", ShowKey(key)),
              absl::StrCat("quarantined the record under key ", ShowKey(key)));
          if (repair) {
            Quarantine(kSounds, std::string(key), std::string(value),
                       "malformed sound key", 0, &w);
            w.count_delta -= 1;
          }
          return true;
        }
        max_id = std::max(max_id, *id);
        absl::StatusOr<SoundRecord> sound = DecodeSoundRecord(value);
        if (sound.ok() && sound->id == *id) {
          live[*id] = LiveSound{sound->content_hash, sound->external_id};
          return true;
        }
        std::vector<std::string> escaped;
        absl::StatusOr<SoundRecord> fixed =
            DecodeSoundRecordEscaping(value, &escaped);
        const std::string error =
            sound.ok() ? absl::StrCat("record carries id ", sound->id)
                       : std::string(sound.status().message());
        if (fixed.ok() && fixed->id == *id) {
          found(absl::StrCat("sound ", *id, ": ", error),
                absl::StrCat("sound ", *id, ": escaped ",
                             absl::StrJoin(escaped, ", "),
                             " (not UTF-8; reversible, docs/storage.md) and "
                             "kept the sound"));
          if (repair)
            w.Put(kSounds, std::string(key), EncodeSoundRecord(*fixed));
          live[*id] = LiveSound{fixed->content_hash, fixed->external_id};
          return true;
        }
        found(absl::StrCat("sound ", *id, ": ", error),
              absl::StrCat("sound ", *id, ": quarantined (", error, ")"));
        to_quarantine[*id] = error;
        return true;
      }));
  report.sounds = live.size();

  // 2. Lookups: each points at a live sound that carries it ...
  std::set<std::pair<Family, std::string>> present;
  for (Family family : {kContentHashes, kExternalIds}) {
    const bool hashes = family == kContentHashes;
    const char* what = hashes ? "content hash" : "external id";
    RETURN_IF_ERROR(ScanPrefix(
        family, "", [&](absl::string_view key, absl::string_view value) {
          std::optional<uint64_t> id = DecodeU64BigEndian(value);
          auto it = id.has_value() ? live.find(*id) : live.end();
          const bool ok =
              it != live.end() && to_quarantine.count(it->first) == 0 &&
              (hashes ? it->second.content_hash : it->second.external_id) ==
                  key;
          if (ok) {
            present.emplace(family, std::string(key));
            return true;
          }
          if (id.has_value() && to_quarantine.count(*id) > 0) {
            return true;  // moves with its sound
          }
          found(absl::StrCat(what, " ", ShowKey(key), " points at ",
                             id.has_value() ? absl::StrCat("sound ", *id)
                                            : std::string("a malformed id"),
                             it == live.end() ? ", which does not exist"
                                              : ", which does not carry it"),
                absl::StrCat("deleted the ", what, " lookup ", ShowKey(key)));
          if (repair) w.Delete(family, std::string(key));
          return true;
        }));
  }
  // ... and every live sound's lookups exist.
  for (const auto& [id, sound] : live) {
    if (to_quarantine.count(id) > 0) continue;
    for (Family family : {kContentHashes, kExternalIds}) {
      const std::string& key =
          family == kContentHashes ? sound.content_hash : sound.external_id;
      if (key.empty() || present.count({family, key}) > 0) continue;
      const char* what =
          family == kContentHashes ? "content hash" : "external id";
      ASSIGN_OR_RETURN(std::optional<uint64_t> owner,
                       ReadId(family, key, nullptr));
      if (owner.has_value() && live.count(*owner) > 0 && *owner != id) {
        found(absl::StrCat("sounds ", *owner, " and ", id, " share the ", what,
                           " ", ShowKey(key)),
              "");
        continue;
      }
      found(absl::StrCat("sound ", id, ": its ", what, " lookup is missing"),
            absl::StrCat("wrote the ", what, " lookup of sound ", id));
      if (repair) w.Put(family, key, EncodeU64BigEndian(id));
    }
  }

  // 3. Raw vectors: of a live sound, in a registered space.
  std::set<std::string> spaces;
  {
    absl::MutexLock lock(&write_mu_);
    spaces = spaces_;
  }
  RETURN_IF_ERROR(
      ScanPrefix(kRaw, "", [&](absl::string_view key, absl::string_view value) {
        ++report.raw_vectors;
        const size_t nul = key.find('\0');
        std::optional<uint64_t> id =
            nul == absl::string_view::npos
                ? std::nullopt
                : DecodeU64BigEndian(key.substr(nul + 1));
        if (!id.has_value()) {
          found(
              absl::StrCat("raw: malformed key ", ShowKey(key)),
              absl::StrCat("quarantined the raw vector under ", ShowKey(key)));
          if (repair) {
            Quarantine(kRaw, std::string(key), std::string(value),
                       "malformed raw key", 0, &w);
          }
          return true;
        }
        const std::string space(key.substr(0, nul));
        if (to_quarantine.count(*id) > 0) return true;  // moves with it
        if (live.count(*id) == 0) {
          found(absl::StrCat("space '", space, "': a raw vector of sound ", *id,
                             ", which does not exist"),
                absl::StrCat("quarantined the orphan raw vector of sound ", *id,
                             " in space '", space, "'"));
          if (repair) {
            Quarantine(kRaw, std::string(key), std::string(value),
                       "raw vector of a sound that does not exist", *id, &w);
          }
          return true;
        }
        if (spaces.insert(space).second) {
          found(absl::StrCat("space '", space,
                             "' holds raw vectors but is not registered"),
                absl::StrCat("registered space '", space, "'"));
          if (repair) w.Put(kMeta, SpaceRegistryKey(space), std::string());
        }
        return true;
      }));

  // 4. The change log.
  uint64_t max_sequence = 0;
  const uint64_t truncated = truncated_through_.load();
  RETURN_IF_ERROR(ScanPrefix(
      kChanges, "", [&](absl::string_view key, absl::string_view value) {
        ++report.changes;
        std::optional<uint64_t> sequence = DecodeU64BigEndian(key);
        absl::Status decoded =
            sequence.has_value()
                ? DecodeChange(*sequence, value).status()
                : absl::DataLossError("malformed change-log key");
        if (!decoded.ok()) {
          found(
              absl::StrCat("change log: ", decoded.message()),
              absl::StrCat("quarantined the change-log entry ", ShowKey(key)));
          if (repair) {
            Quarantine(kChanges, std::string(key), std::string(value),
                       decoded.message(), 0, &w);
          }
          return true;
        }
        max_sequence = std::max(max_sequence, *sequence);
        if (*sequence <= truncated) {
          found(absl::StrCat("change log: entry ", *sequence,
                             " survived a truncation through ", truncated),
                absl::StrCat("deleted change-log entry ", *sequence));
          if (repair) w.Delete(kChanges, std::string(key));
        }
        return true;
      }));

  // 5. Quarantined sounds that can be put back: text that only needed
  // escaping, with their hash and external id still free.
  std::map<uint64_t, std::vector<QuarantinedRecord>> quarantined;
  RETURN_IF_ERROR(ForEachQuarantined([&](const QuarantinedRecord& r) {
    ++report.quarantined;
    if (r.sound_id != 0) quarantined[r.sound_id].push_back(r);
    return true;
  }));
  for (const auto& [id, records] : quarantined) {
    const QuarantinedRecord* meta = nullptr;
    for (const QuarantinedRecord& r : records) {
      if (r.family == kFamilyNames[kSounds]) meta = &r;
    }
    if (meta == nullptr || live.count(id) > 0) continue;
    // Only a record whose text was its fault: one quarantined for another
    // reason (a vector the metric cannot rank) would only come back there.
    if (DecodeSoundRecord(meta->value).ok()) continue;
    std::vector<std::string> escaped;
    absl::StatusOr<SoundRecord> fixed =
        DecodeSoundRecordEscaping(meta->value, &escaped);
    if (!fixed.ok() || fixed->id != id) continue;
    ASSIGN_OR_RETURN(std::optional<uint64_t> hash_owner,
                     ReadId(kContentHashes, fixed->content_hash, nullptr));
    std::optional<uint64_t> ext_owner;
    if (!fixed->external_id.empty()) {
      ASSIGN_OR_RETURN(ext_owner,
                       ReadId(kExternalIds, fixed->external_id, nullptr));
    }
    if (hash_owner.has_value() || ext_owner.has_value()) {
      // Its content or external id was added again since: it stays.
      continue;
    }
    found(absl::StrCat("sound ", id, " is in quarantine (", meta->reason,
                       ") and can be restored",
                       escaped.empty() ? "" : " with its text escaped"),
          absl::StrCat("restored sound ", id, " from quarantine",
                       escaped.empty()
                           ? ""
                           : absl::StrCat(" (escaped ",
                                          absl::StrJoin(escaped, ", "), ")")));
    if (!repair) continue;
    const std::string id_key = EncodeU64BigEndian(id);
    w.Put(kSounds, id_key, EncodeSoundRecord(*fixed));
    w.Put(kContentHashes, fixed->content_hash, id_key);
    if (!fixed->external_id.empty()) {
      w.Put(kExternalIds, fixed->external_id, id_key);
    }
    for (const QuarantinedRecord& r : records) {
      w.Delete(kMeta, QuarantineKey(r.family, r.key));
      if (r.family == kFamilyNames[kRaw]) w.Put(kRaw, r.key, r.value);
    }
    w.count_delta += 1;
    --report.quarantined;
    absl::MutexLock lock(&write_mu_);
    LogChange(Change{0, ChangeKind::kAdd, id}, &w);
  }

  if (repair) {
    if (!to_quarantine.empty()) {
      absl::MutexLock lock(&write_mu_);
      ASSIGN_OR_RETURN(uint64_t moved, AddQuarantineOps(to_quarantine, &w));
      report.quarantined += moved;
      report.sounds -= moved;
    }
    if (!w.ops.empty()) RETURN_IF_ERROR(SubmitRepair(&w));
  }

  // 6. Counters, against the data as it now is.
  uint64_t count = 0;
  RETURN_IF_ERROR(
      ScanPrefix(kSounds, "", [&](absl::string_view key, absl::string_view) {
        ++count;
        if (std::optional<uint64_t> id = DecodeU64BigEndian(key)) {
          max_id = std::max(max_id, *id);
        }
        return true;
      }));
  RETURN_IF_ERROR(
      ScanPrefix(kChanges, "", [&](absl::string_view key, absl::string_view) {
        if (std::optional<uint64_t> s = DecodeU64BigEndian(key)) {
          max_sequence = std::max(max_sequence, *s);
        }
        return true;
      }));
  absl::MutexLock lock(&write_mu_);
  rocksdb::WriteBatch counters;
  if (count != sound_count_.load()) {
    found(absl::StrCat("sound_count says ", sound_count_.load(),
                       ", the store holds ", count),
          absl::StrCat("set sound_count to ", count));
    if (repair) {
      counters.Put(cf(kMeta), ToSlice(kSoundCountKey),
                   EncodeU64LittleEndian(count));
      sound_count_.store(count);
    }
  }
  if (next_id_ <= max_id) {
    found(absl::StrCat("next_id ", next_id_, " is not above the highest id ",
                       max_id),
          absl::StrCat("set next_id to ", max_id + 1));
    if (repair) {
      next_id_ = max_id + 1;
      counters.Put(cf(kMeta), ToSlice(kNextIdKey),
                   EncodeU64LittleEndian(next_id_));
    }
  }
  if (max_sequence > last_sequence_.load()) {
    found(absl::StrCat("last_sequence ", last_sequence_.load(),
                       " is below the log's last entry ", max_sequence),
          absl::StrCat("set last_sequence to ", max_sequence));
    if (repair) {
      last_sequence_.store(max_sequence);
      next_sequence_ = max_sequence + 1;
      counters.Put(cf(kMeta), ToSlice(kLastSequenceKey),
                   EncodeU64LittleEndian(max_sequence));
    }
  }
  if (repair && counters.Count() > 0) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    RETURN_IF_ERROR(
        FromRocksDb(db_->Write(wo, &counters), "repairing counters"));
  }
  return report;
}

}  // namespace soundsearch
