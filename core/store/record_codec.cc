#include "store/record_codec.h"

#include "absl/strings/str_cat.h"
#include "store/records.pb.h"

namespace soundsearch {

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
  }
  return meta.SerializeAsString();
}

absl::StatusOr<SoundRecord> DecodeSoundRecord(absl::string_view bytes) {
  storepb::SoundMeta meta;
  if (!meta.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("undecodable sound metadata record");
  }
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
    content.truncated = c.truncated();
    sound.spoken.push_back(std::move(content));
  }
  return sound;
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
