#include "store/record_codec.h"

#include "absl/strings/str_cat.h"
#include "soundsearch/status_macros.h"
#include "soundsearch/text.h"
#include "store/records.pb.h"

namespace soundsearch {
namespace {

// Calls check(field name, value) for every string of a SoundMeta-shaped
// message (SoundMeta or SoundMetaBytes) until one fails.
template <class Meta, class Fn>
absl::Status ForEachString(const Meta& meta, Fn check) {
  RETURN_IF_ERROR(check("external_id", meta.external_id()));
  RETURN_IF_ERROR(check("name", meta.name()));
  for (int i = 0; i < meta.tags_size(); ++i) {
    RETURN_IF_ERROR(check(absl::StrCat("tags[", i, "]"), meta.tags(i)));
  }
  for (int i = 0; i < meta.class_labels_size(); ++i) {
    RETURN_IF_ERROR(
        check(absl::StrCat("class_labels[", i, "]"), meta.class_labels(i)));
  }
  RETURN_IF_ERROR(check("source", meta.source()));
  RETURN_IF_ERROR(check("content_hash", meta.content_hash()));
  for (int i = 0; i < meta.auto_tags_size(); ++i) {
    RETURN_IF_ERROR(
        check(absl::StrCat("auto_tags[", i, "]"), meta.auto_tags(i).tag()));
  }
  for (int i = 0; i < meta.spoken_size(); ++i) {
    const auto& spoken = meta.spoken(i);
    const std::string at = absl::StrCat("spoken[", i, "]");
    RETURN_IF_ERROR(check(absl::StrCat(at, ".space"), spoken.space()));
    for (int j = 0; j < spoken.words_size(); ++j) {
      RETURN_IF_ERROR(
          check(absl::StrCat(at, ".words[", j, "]"), spoken.words(j).word()));
    }
    for (int j = 0; j < spoken.phones_size(); ++j) {
      RETURN_IF_ERROR(
          check(absl::StrCat(at, ".phones[", j, "]"), spoken.phones(j)));
    }
    for (int j = 0; j < spoken.lattice_size(); ++j) {
      RETURN_IF_ERROR(check(absl::StrCat(at, ".lattice[", j, "]"),
                            spoken.lattice(j).word()));
    }
  }
  return absl::OkStatus();
}

SoundRecord FromMeta(const storepb::SoundMeta& meta) {
  SoundRecord sound;
  sound.id = meta.id();
  sound.external_id = meta.external_id();
  sound.name = meta.name();
  sound.tags.assign(meta.tags().begin(), meta.tags().end());
  sound.class_labels.assign(meta.class_labels().begin(),
                            meta.class_labels().end());
  sound.duration_seconds = meta.duration_seconds();
  sound.source = meta.source();
  sound.content_hash = meta.content_hash();
  sound.added_unix_micros = meta.added_unix_micros();
  sound.auto_tags.reserve(meta.auto_tags_size());
  for (const auto& a : meta.auto_tags()) {
    sound.auto_tags.push_back(AutoTag{a.tag(), a.probability()});
  }
  for (const auto& c : meta.spoken()) {
    SpokenContent content;
    content.space = c.space();
    for (const auto& w : c.words()) {
      content.words.push_back(
          {w.word(), w.confidence(), w.start_seconds(), w.end_seconds()});
    }
    content.phones.assign(c.phones().begin(), c.phones().end());
    for (const auto& w : c.lattice()) {
      content.lattice.push_back({w.word(), w.expected_count()});
    }
    content.truncated = c.truncated();
    sound.spoken.push_back(std::move(content));
  }
  return sound;
}

}  // namespace

absl::Status CheckRecordText(const SoundRecord& sound) {
  auto check = [](const std::string& field, const std::string& value) {
    return CheckUtf8(field, value);
  };
  RETURN_IF_ERROR(check("external_id", sound.external_id));
  RETURN_IF_ERROR(check("name", sound.name));
  for (size_t i = 0; i < sound.tags.size(); ++i) {
    RETURN_IF_ERROR(check(absl::StrCat("tags[", i, "]"), sound.tags[i]));
  }
  for (size_t i = 0; i < sound.class_labels.size(); ++i) {
    RETURN_IF_ERROR(
        check(absl::StrCat("class_labels[", i, "]"), sound.class_labels[i]));
  }
  RETURN_IF_ERROR(check("source", sound.source));
  RETURN_IF_ERROR(check("content_hash", sound.content_hash));
  for (size_t i = 0; i < sound.auto_tags.size(); ++i) {
    RETURN_IF_ERROR(
        check(absl::StrCat("auto_tags[", i, "]"), sound.auto_tags[i].tag));
  }
  // Recognised words and phones come from the recogniser's dictionary and
  // phone set (ASCII for the CMU ones), but a configured dictionary may hold
  // anything: checked like every other string.
  for (size_t i = 0; i < sound.spoken.size(); ++i) {
    const SpokenContent& spoken = sound.spoken[i];
    const std::string at = absl::StrCat("spoken[", i, "]");
    RETURN_IF_ERROR(check(absl::StrCat(at, ".space"), spoken.space));
    for (size_t j = 0; j < spoken.words.size(); ++j) {
      RETURN_IF_ERROR(
          check(absl::StrCat(at, ".words[", j, "]"), spoken.words[j].word));
    }
    for (size_t j = 0; j < spoken.phones.size(); ++j) {
      RETURN_IF_ERROR(
          check(absl::StrCat(at, ".phones[", j, "]"), spoken.phones[j]));
    }
    for (size_t j = 0; j < spoken.lattice.size(); ++j) {
      RETURN_IF_ERROR(
          check(absl::StrCat(at, ".lattice[", j, "]"), spoken.lattice[j].word));
    }
  }
  return absl::OkStatus();
}

std::string EncodeSoundRecord(const SoundRecord& sound) {
  storepb::SoundMeta meta;
  meta.set_id(sound.id);
  meta.set_external_id(sound.external_id);
  meta.set_name(sound.name);
  for (const auto& t : sound.tags) meta.add_tags(t);
  for (const auto& l : sound.class_labels) meta.add_class_labels(l);
  meta.set_duration_seconds(sound.duration_seconds);
  meta.set_source(sound.source);
  meta.set_content_hash(sound.content_hash);
  meta.set_added_unix_micros(sound.added_unix_micros);
  for (const auto& a : sound.auto_tags) {
    storepb::AutoTag* tag = meta.add_auto_tags();
    tag->set_tag(a.tag);
    tag->set_probability(a.probability);
  }
  for (const SpokenContent& c : sound.spoken) {
    storepb::SpokenContent* out = meta.add_spoken();
    out->set_space(c.space);
    for (const SpokenWord& w : c.words) {
      storepb::SpokenWord* word = out->add_words();
      word->set_word(w.word);
      word->set_confidence(w.confidence);
      word->set_start_seconds(w.start_seconds);
      word->set_end_seconds(w.end_seconds);
    }
    for (const std::string& p : c.phones) out->add_phones(p);
    out->set_truncated(c.truncated);
    for (const LatticeWord& w : c.lattice) {
      storepb::LatticeWord* word = out->add_lattice();
      word->set_word(w.word);
      word->set_expected_count(w.expected_count);
    }
  }
  return meta.SerializeAsString();
}

absl::StatusOr<SoundRecord> DecodeSoundRecord(absl::string_view bytes) {
  storepb::SoundMeta meta;
  if (!meta.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    // Say why when the record is well-formed apart from its text.
    storepb::SoundMetaBytes raw;
    if (raw.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      absl::Status text = ForEachString(
          raw, [](const std::string& field, const std::string& value) {
            return CheckUtf8(field, value);
          });
      if (!text.ok()) {
        return absl::DataLossError(absl::StrCat(
            "undecodable sound metadata record: ", text.message()));
      }
    }
    return absl::DataLossError("undecodable sound metadata record");
  }
  return FromMeta(meta);
}

absl::StatusOr<SoundRecord> DecodeSoundRecordEscaping(
    absl::string_view bytes, std::vector<std::string>* escaped) {
  storepb::SoundMetaBytes raw;
  if (!raw.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(
        "undecodable sound metadata record (not a well-formed record)");
  }
  auto fix = [escaped](const std::string& field, std::string* value) {
    if (IsValidUtf8(*value)) return;
    *value = EscapeFileName(*value);
    if (escaped != nullptr) escaped->push_back(field);
  };
  fix("external_id", raw.mutable_external_id());
  fix("name", raw.mutable_name());
  for (int i = 0; i < raw.tags_size(); ++i) {
    fix(absl::StrCat("tags[", i, "]"), raw.mutable_tags(i));
  }
  for (int i = 0; i < raw.class_labels_size(); ++i) {
    fix(absl::StrCat("class_labels[", i, "]"), raw.mutable_class_labels(i));
  }
  fix("source", raw.mutable_source());
  fix("content_hash", raw.mutable_content_hash());
  for (int i = 0; i < raw.auto_tags_size(); ++i) {
    fix(absl::StrCat("auto_tags[", i, "]"),
        raw.mutable_auto_tags(i)->mutable_tag());
  }
  for (int i = 0; i < raw.spoken_size(); ++i) {
    auto* spoken = raw.mutable_spoken(i);
    const std::string at = absl::StrCat("spoken[", i, "]");
    fix(absl::StrCat(at, ".space"), spoken->mutable_space());
    for (int j = 0; j < spoken->words_size(); ++j) {
      fix(absl::StrCat(at, ".words[", j, "]"),
          spoken->mutable_words(j)->mutable_word());
    }
    for (int j = 0; j < spoken->phones_size(); ++j) {
      fix(absl::StrCat(at, ".phones[", j, "]"), spoken->mutable_phones(j));
    }
    for (int j = 0; j < spoken->lattice_size(); ++j) {
      fix(absl::StrCat(at, ".lattice[", j, "]"),
          spoken->mutable_lattice(j)->mutable_word());
    }
  }
  // Same field numbers and wire types: the fixed bytes parse as SoundMeta.
  storepb::SoundMeta meta;
  if (!meta.ParseFromString(raw.SerializeAsString())) {
    return absl::DataLossError("undecodable sound metadata record");
  }
  return FromMeta(meta);
}

std::string EncodeChange(const Change& change) {
  storepb::ChangeEntry entry;
  switch (change.kind) {
    case ChangeKind::kAdd:
      entry.set_kind(storepb::ChangeEntry::KIND_ADD);
      break;
    case ChangeKind::kDelete:
      entry.set_kind(storepb::ChangeEntry::KIND_DELETE);
      break;
  }
  entry.set_id(change.id);
  return entry.SerializeAsString();
}

absl::StatusOr<Change> DecodeChange(uint64_t sequence,
                                    absl::string_view bytes) {
  storepb::ChangeEntry entry;
  if (!entry.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(
        absl::StrCat("undecodable change-log entry at sequence ", sequence));
  }
  Change change;
  change.sequence = sequence;
  change.id = entry.id();
  switch (entry.kind()) {
    case storepb::ChangeEntry::KIND_ADD:
      change.kind = ChangeKind::kAdd;
      break;
    case storepb::ChangeEntry::KIND_DELETE:
      change.kind = ChangeKind::kDelete;
      break;
    default:
      return absl::DataLossError(absl::StrCat("change-log entry at sequence ",
                                              sequence, " has unknown kind ",
                                              static_cast<int>(entry.kind())));
  }
  return change;
}

std::string EncodeSnapshotMark(const SnapshotMark& mark) {
  storepb::SnapshotMarkRecord record;
  record.set_sequence(mark.sequence);
  record.set_location(mark.location);
  return record.SerializeAsString();
}

absl::StatusOr<SnapshotMark> DecodeSnapshotMark(absl::string_view bytes) {
  storepb::SnapshotMarkRecord record;
  if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("undecodable snapshot mark");
  }
  return SnapshotMark{record.sequence(), record.location()};
}

std::string EncodeQuarantined(const QuarantinedRecord& record) {
  storepb::QuarantineRecord q;
  q.set_family(record.family);
  q.set_key(record.key);
  q.set_value(record.value);
  q.set_reason(record.reason);
  q.set_quarantined_unix_micros(record.quarantined_unix_micros);
  q.set_sound_id(record.sound_id);
  return q.SerializeAsString();
}

absl::StatusOr<QuarantinedRecord> DecodeQuarantined(absl::string_view bytes) {
  storepb::QuarantineRecord q;
  if (!q.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("undecodable quarantine record");
  }
  return QuarantinedRecord{
      q.family(),  q.key(), q.value(), q.reason(), q.quarantined_unix_micros(),
      q.sound_id()};
}

std::string EncodeModel(const StoredModel& model, int64_t written_unix_micros) {
  storepb::ModelRecord record;
  record.set_version(model.version);
  record.set_data(model.bytes);
  record.set_written_unix_micros(written_unix_micros);
  return record.SerializeAsString();
}

absl::StatusOr<StoredModel> DecodeModel(absl::string_view bytes) {
  storepb::ModelRecord record;
  if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("undecodable model record");
  }
  return StoredModel{record.version(), record.data()};
}

}  // namespace soundsearch
