#include "rpc/to_proto.h"

#include <string>

#include "rpc/grpc_status.h"
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
  for (const SpokenContent& content : record.spoken) {
    v1::SpokenContent* c = out->add_spoken();
    c->set_space(content.space);
    for (const SpokenWord& word : content.words) {
      v1::SpokenWord* w = c->add_words();
      w->set_word(word.word);
      w->set_confidence(word.confidence);
      w->set_start_seconds(word.start_seconds);
      w->set_end_seconds(word.end_seconds);
    }
    for (const std::string& phone : content.phones) c->add_phones(phone);
    c->set_truncated(content.truncated);
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
  if (c.fusion.enabled()) {  // no encoder, pooling or index of its own
    out->set_encoder("fusion");
    out->set_index_type(c.fusion.kind == SpaceFusionKind::kLate ? "late_fusion"
                                                                : c.index.kind);
  } else {
    out->set_encoder(c.boaw ? "boaw" : c.encoder.kind);
    out->set_pooling(PoolingName(c.pooling));
    out->set_index_type(c.index.kind);
  }
  out->set_metric(MetricName(c.metric));
  out->set_raw_dim(space.raw_dim);
  out->set_index_dim(space.index_dim);
  out->set_fitted(space.fitted);
  out->set_fitted_version(space.projection_version);
  out->set_vectors(space.vectors);
  out->set_sample_rate(space.sample_rate);
  out->set_classes(static_cast<uint32_t>(space.classes));
  out->set_classes_in_ontology(
      static_cast<uint32_t>(space.classes_in_ontology));
}

void ToProto(const std::string& version,
             const std::map<std::string, std::string>& dependencies,
             v1::ServerInfo* out) {
  out->set_version(version);
  for (const auto& [name, dependency_version] : dependencies) {
    (*out->mutable_dependencies())[name] = dependency_version;
  }
}

void ToProto(const QueryResult& result, v1::QueryByExampleResponse* out) {
  out->set_space(result.space);
  out->set_collection_size(result.collection_size);
}

void ToProto(const QueryHit& hit, const SoundRecord& record,
             v1::ScoredSound* out) {
  out->set_id(hit.id);
  out->set_score(hit.score);
  ToProto(record, out->mutable_sound());
  for (const SourceScore& s : hit.sources) {
    v1::SourceScore* source = out->add_sources();
    source->set_source(s.source);
    source->set_score(s.score);
    source->set_rank(static_cast<uint32_t>(s.rank));
  }
}

void ToProto(const TextQueryResult& result, v1::QueryByTextResponse* out) {
  out->set_space(result.result.space);
  out->set_class_space(result.class_space);
  out->set_collection_size(result.result.collection_size);
  for (const MatchedWord& w : result.words) {
    v1::MatchedWord* word = out->add_words();
    word->set_text(w.text);
    word->set_word(w.word);
    word->set_sounds(w.sounds);
  }
  for (const MatchedClass& c : result.classes) {
    v1::MatchedClass* matched = out->add_classes();
    matched->set_name(c.name);
    matched->set_ontology_id(c.ontology_id);
    matched->set_weight(c.weight);
  }
  for (const std::string& w : result.unmatched) out->add_unmatched(w);
  for (const std::string& s : result.speech_spaces) out->add_speech_spaces(s);
}

void ToProto(const SoundDescription& d, v1::DescribeSoundResponse* out) {
  out->set_space(d.space);
  out->set_class_space(d.class_space);
  for (const WordNeighbour& w : d.words) {
    v1::DescribedWord* word = out->add_words();
    word->set_word(w.word);
    word->set_cosine(w.cosine);
    word->set_sounds(w.sounds);
  }
  for (const ClassScore& c : d.classes) {
    v1::ClassScore* score = out->add_classes();
    score->set_name(c.name);
    score->set_score(c.score);
  }
  for (const AutoTag& tag : d.auto_tags) {
    v1::AutoTag* t = out->add_auto_tags();
    t->set_tag(tag.tag);
    t->set_probability(tag.probability);
  }
}

void ToProto(const std::vector<SpaceStatus>& spaces,
             const std::string& default_space, v1::ListSpacesResponse* out) {
  for (const SpaceStatus& s : spaces) ToProto(s, out->add_spaces());
  out->set_default_space(default_space);
}

void ToProto(const SoundCollection& collection, v1::StatsResponse* out) {
  out->set_sounds(collection.size());
  out->set_total_duration_seconds(collection.total_duration_seconds());
  const PreviewStats previews = collection.GetPreviewStats();
  out->set_previews(previews.count);
  out->set_preview_bytes(previews.bytes);
  for (const SpaceStatus& s : collection.Spaces()) {
    ToProto(s, out->add_spaces());
  }
}

void ToProto(const CommitResult& result, const SoundRecord& record,
             const DecodedAudio& audio, v1::AddSoundResponse* out) {
  out->set_id(result.id);
  out->set_duplicate(result.duplicate);
  ToProto(record, out->mutable_sound());
  if (!result.duplicate) ToProto(audio, out->mutable_audio());
}

void ToProto(const JobStatus& job, v1::Job* out) {
  out->set_job_id(job.id);
  switch (job.state) {
    case JobStatus::State::kRunning:
      out->set_state(v1::Job::RUNNING);
      break;
    case JobStatus::State::kDone:
      out->set_state(v1::Job::DONE);
      break;
    case JobStatus::State::kFailed:
      out->set_state(v1::Job::FAILED);
      break;
  }
  out->set_total(job.total);
  out->set_processed(job.processed);
  out->set_stored(job.stored);
  out->set_duplicates(job.duplicates);
  out->set_failed(job.failed);
  for (const JobFailure& f : job.failures) {
    v1::JobFailure* failure = out->add_failures();
    failure->set_fname(f.fname);
    failure->set_code(
        std::string(GrpcCodeName(static_cast<grpc::StatusCode>(f.code))));
    failure->set_message(f.message);
  }
  out->set_error(job.error);
  out->set_elapsed_seconds(job.elapsed_seconds);
}

void ToProto(const RefitResult& result, v1::RefitResponse* out) {
  out->set_space(result.space);
  out->set_fitted_version(result.projection_version);
  out->set_items(result.items);
  out->set_seconds(result.seconds);
}

void ToProto(const RetrievalScores& s, v1::RetrievalScores* out) {
  out->set_map_at_15(s.map[0]);
  out->set_map_at_150(s.map[1]);
  out->set_mr1(s.mr1);
}

void ToProto(const SpaceEvaluation& e, double seconds,
             v1::SpaceEvaluation* out) {
  const RetrievalReport& r = e.report;
  out->set_space(e.space);
  out->set_unix_ms(e.unix_ms);
  out->set_sounds(r.num_items);
  ToProto(r.macro, out->mutable_label_based());
  if (r.has_micro) ToProto(r.micro, out->mutable_instance_based());
  for (const LabelResult& label : r.labels) {
    v1::LabelScores* l = out->add_labels();
    l->set_label(label.label);
    l->set_sounds(label.num_items);
    l->set_queries(label.num_queries);
    ToProto(label.scores, l->mutable_scores());
  }
  for (const FamilyResult& family : r.families) {
    v1::FamilyScores* f = out->add_families();
    f->set_family(family.family);
    f->set_labels(family.num_labels);
    ToProto(family.scores, f->mutable_scores());
  }
  out->set_labels_scored(r.num_labels_scored);
  out->set_labels_left_out(r.num_labels_left_out);
  out->set_reference_mode(r.reference_denominator);
  out->set_seconds(seconds);
  out->set_report_json(e.report_json);
}

void StoredEvaluationToProto(const SpaceEvaluation& stored,
                             v1::SpaceEvaluation* out) {
  out->set_space(stored.space);
  out->set_unix_ms(stored.unix_ms);
  ToProto(stored.macro, out->mutable_label_based());
  out->set_reference_mode(stored.reference_mode);
  out->set_report_json(stored.report_json);
}

void ToProto(const WordPairCosine& pair, v1::WordSimilarityResponse* out) {
  out->set_space(pair.space);
  out->set_cosine(pair.cosine);
  out->set_sounds_a(pair.sounds_a);
  out->set_sounds_b(pair.sounds_b);
}

void ToProto(const WordVectorInfo& word,
             const std::vector<WordNeighbour>& neighbours,
             v1::NearestWordsResponse* out) {
  out->set_space(word.space);
  out->set_word(word.word);
  out->set_sounds(word.sounds_total);
  for (const WordNeighbour& n : neighbours) {
    v1::WordNeighbour* neighbour = out->add_neighbours();
    neighbour->set_word(n.word);
    neighbour->set_cosine(n.cosine);
    neighbour->set_sounds(n.sounds);
  }
}

void ToProto(const std::string& requested, const WordVectorInfo& info,
             v1::WordVector* out) {
  out->set_word(requested);
  out->mutable_vector()->Add(info.vector.begin(), info.vector.end());
  out->set_sounds_used(info.sounds_used);
  out->set_sounds_total(info.sounds_total);
}

}  // namespace soundsearch
