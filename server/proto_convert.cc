#include "proto_convert.h"

#include "soundsearch/vector_index.h"

namespace soundsearch {

void ToProto(const SoundRecord& record, v1::Sound* out) {
  out->set_id(record.id);
  out->set_external_id(record.external_id);
  out->set_name(record.name);
  for (const std::string& tag : record.tags) out->add_tags(tag);
  for (const std::string& label : record.class_labels) out->add_labels(label);
  out->set_duration_seconds(record.duration_seconds);
  out->set_source(record.source);
  out->set_content_sha256(record.content_hash);
  out->set_added_unix_ms(record.added_unix_micros / 1000);
  for (const AutoTag& tag : record.auto_tags) {
    v1::AutoTag* t = out->add_auto_tags();
    t->set_tag(tag.tag);
    t->set_probability(tag.probability);
  }
}

void ToProto(const DecodedAudio& audio, v1::AudioInfo* out) {
  out->set_container(audio.container);
  out->set_codec(audio.codec);
  out->set_sample_rate(audio.source_sample_rate);
  out->set_channels(audio.source_channels);
  out->set_truncated(audio.truncated);
  out->set_damaged(audio.damaged);
}

void ToProto(const SpaceStatus& space, v1::SpaceInfo* out) {
  const SpaceConfig& c = space.config;
  out->set_name(c.name);
  out->set_encoder(c.boaw ? "boaw" : c.encoder.kind);
  out->set_pooling(PoolingName(c.pooling));
  out->set_metric(MetricName(c.metric));
  out->set_index_type(c.index.kind);
  out->set_raw_dim(space.raw_dim);
  out->set_index_dim(space.index_dim);
  out->set_fitted(space.fitted);
  out->set_fitted_version(space.projection_version);
  out->set_vectors(space.vectors);
  out->set_sample_rate(space.sample_rate);
}

SoundFilter FromProto(const v1::Filter& filter) {
  SoundFilter out;
  out.tags_any.assign(filter.tags_any().begin(), filter.tags_any().end());
  out.tags_all.assign(filter.tags_all().begin(), filter.tags_all().end());
  out.tags_none.assign(filter.tags_none().begin(), filter.tags_none().end());
  out.labels_any.assign(filter.labels_any().begin(), filter.labels_any().end());
  out.labels_all.assign(filter.labels_all().begin(), filter.labels_all().end());
  return out;
}

SoundInput FromProto(const v1::SoundFields& fields) {
  SoundInput out;
  out.external_id = fields.external_id();
  out.name = fields.name();
  out.tags.assign(fields.tags().begin(), fields.tags().end());
  out.labels.assign(fields.labels().begin(), fields.labels().end());
  return out;
}

}  // namespace soundsearch
