#include "collection/tag_index.h"

#include <algorithm>
#include <optional>
#include <type_traits>
#include <vector>

#include "absl/base/casts.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

const IdSet& Lookup(const absl::flat_hash_map<std::string, IdSet>& map,
                    const std::string& key) {
  static const IdSet* empty = new IdSet();
  auto it = map.find(key);
  return it == map.end() ? *empty : it->second;
}

// Narrows `result` (nullopt = everything so far) to the ids in `set`.
void Intersect(std::optional<IdSet>& result, const IdSet& set) {
  if (!result.has_value()) {
    result = set;
    return;
  }
  for (auto it = result->begin(); it != result->end();) {
    if (!set.contains(*it)) {
      result->erase(it++);
    } else {
      ++it;
    }
  }
}

// Tags and auto-tags are stored lower-cased; so are filter tags compared.
std::vector<std::string> Lowered(const std::vector<std::string>& tags) {
  std::vector<std::string> out;
  out.reserve(tags.size());
  for (const std::string& tag : tags) out.push_back(absl::AsciiStrToLower(tag));
  return out;
}

std::vector<std::string> TagKeys(const SoundRecord& record) {
  std::vector<std::string> keys = record.tags;
  for (const AutoTag& t : record.auto_tags) keys.push_back(t.tag);
  // Recognised words are tags of kind "spoken" (kSpokenTagPrefix + word);
  // a word heard twice, or by two speech spaces, is one key.
  for (const SpokenContent& c : record.spoken) {
    for (const SpokenWord& w : c.words) {
      keys.push_back(absl::StrCat(kSpokenTagPrefix, w.word));
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

bool HasFactClauses(const SoundFilter& f) {
  return f.min_duration_seconds.has_value() ||
         f.max_duration_seconds.has_value() ||
         f.added_after_unix_micros.has_value() ||
         f.added_before_unix_micros.has_value() ||
         !f.auto_tags_at_least.empty();
}

bool HasSetClauses(const SoundFilter& f) {
  return !f.tags_any.empty() || !f.tags_all.empty() || !f.tags_none.empty() ||
         !f.labels_any.empty() || !f.labels_all.empty();
}

void EncodeSets(const absl::flat_hash_map<std::string, IdSet>& map,
                ByteWriter* out) {
  out->PutU64(map.size());
  for (const auto& [key, ids] : map) {
    out->PutBlob(key);
    out->PutU64(ids.size());
    for (int64_t id : ids) out->PutU64(static_cast<uint64_t>(id));
  }
}

absl::Status DecodeSets(ByteReader* in, absl::string_view what,
                        absl::flat_hash_map<std::string, IdSet>* map) {
  ASSIGN_OR_RETURN(uint64_t n, in->ReadU64(what));
  map->reserve(static_cast<size_t>(std::min<uint64_t>(n, in->remaining())));
  for (uint64_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(absl::string_view key, in->ReadBlob(what));
    ASSIGN_OR_RETURN(uint64_t count, in->ReadU64(what));
    if (count > in->remaining() / 8) {
      return absl::DataLossError(absl::StrCat(what, ": bad count"));
    }
    IdSet& ids = (*map)[std::string(key)];
    ids.reserve(static_cast<size_t>(count));
    for (uint64_t k = 0; k < count; ++k) {
      ASSIGN_OR_RETURN(uint64_t id, in->ReadU64(what));
      ids.insert(static_cast<int64_t>(id));
    }
  }
  return absl::OkStatus();
}

// Erases `ids` from `set`, visiting the smaller of the two.
template <typename Set>
void EraseAll(Set& set, const IdSet& ids) {
  if (set.size() < ids.size()) {
    absl::erase_if(set, [&ids](const auto& v) {
      if constexpr (std::is_same_v<std::decay_t<decltype(v)>, int64_t>) {
        return ids.contains(v);
      } else {
        return ids.contains(v.first);
      }
    });
    return;
  }
  for (int64_t id : ids) set.erase(id);
}

}  // namespace

void TagIndex::EncodeTo(ByteWriter* out) const {
  absl::ReaderMutexLock lock(&mu_);
  out->PutU64(facts_.size());
  for (const auto& [id, facts] : facts_) {
    out->PutU64(static_cast<uint64_t>(id));
    out->PutU64(absl::bit_cast<uint64_t>(facts.duration_seconds));
    out->PutU64(static_cast<uint64_t>(facts.added_unix_micros));
  }
  out->PutU64(absl::bit_cast<uint64_t>(total_duration_));
  EncodeSets(by_tag_, out);
  EncodeSets(by_label_, out);
  out->PutU64(auto_tags_.size());
  for (const auto& [tag, probabilities] : auto_tags_) {
    out->PutBlob(tag);
    out->PutU64(probabilities.size());
    for (const auto& [id, p] : probabilities) {
      out->PutU64(static_cast<uint64_t>(id));
      out->PutF32(p);
    }
  }
}

absl::Status TagIndex::DecodeFrom(ByteReader* in) {
  absl::MutexLock lock(&mu_);
  ClearLocked();
  auto decode = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(uint64_t n, in->ReadU64("tag index facts"));
    if (n > in->remaining() / 24) {
      return absl::DataLossError("tag index facts: bad count");
    }
    all_.reserve(static_cast<size_t>(n));
    for (uint64_t i = 0; i < n; ++i) {
      ASSIGN_OR_RETURN(uint64_t id, in->ReadU64("tag index facts"));
      ASSIGN_OR_RETURN(uint64_t duration, in->ReadU64("tag index facts"));
      ASSIGN_OR_RETURN(uint64_t added, in->ReadU64("tag index facts"));
      all_.insert(static_cast<int64_t>(id));
      facts_.emplace_hint(
          facts_.end(), static_cast<int64_t>(id),
          Facts{absl::bit_cast<double>(duration), static_cast<int64_t>(added)});
    }
    ASSIGN_OR_RETURN(uint64_t total, in->ReadU64("tag index total"));
    total_duration_ = absl::bit_cast<double>(total);
    RETURN_IF_ERROR(DecodeSets(in, "tag index tags", &by_tag_));
    RETURN_IF_ERROR(DecodeSets(in, "tag index labels", &by_label_));
    ASSIGN_OR_RETURN(uint64_t tags, in->ReadU64("tag index auto-tags"));
    for (uint64_t i = 0; i < tags; ++i) {
      ASSIGN_OR_RETURN(absl::string_view tag, in->ReadBlob("auto-tags"));
      ASSIGN_OR_RETURN(uint64_t count, in->ReadU64("auto-tags"));
      if (count > in->remaining() / 12) {
        return absl::DataLossError("tag index auto-tags: bad count");
      }
      auto& probabilities = auto_tags_[std::string(tag)];
      for (uint64_t k = 0; k < count; ++k) {
        ASSIGN_OR_RETURN(uint64_t id, in->ReadU64("auto-tags"));
        ASSIGN_OR_RETURN(float p, in->ReadF32("auto-tags"));
        probabilities[static_cast<int64_t>(id)] = p;
      }
    }
    return absl::OkStatus();
  };
  absl::Status status = decode();
  if (!status.ok()) ClearLocked();
  return status;
}

void TagIndex::Clear() {
  absl::MutexLock lock(&mu_);
  ClearLocked();
}

void TagIndex::ClearLocked() {
  by_tag_.clear();
  by_label_.clear();
  auto_tags_.clear();
  all_.clear();
  facts_.clear();
  total_duration_ = 0;
}

void TagIndex::ForgetIds(const IdSet& ids) {
  if (ids.empty()) return;
  absl::MutexLock lock(&mu_);
  auto forget = [&ids](auto& map) {
    for (auto it = map.begin(); it != map.end();) {
      EraseAll(it->second, ids);
      if (it->second.empty()) {
        map.erase(it++);
      } else {
        ++it;
      }
    }
  };
  forget(by_tag_);
  forget(by_label_);
  forget(auto_tags_);
  for (int64_t id : ids) {
    auto it = facts_.find(id);
    if (it == facts_.end()) continue;
    total_duration_ -= it->second.duration_seconds;
    facts_.erase(it);
    all_.erase(id);
  }
}

void TagIndex::Add(const SoundRecord& record) {
  const int64_t id = static_cast<int64_t>(record.id);
  absl::MutexLock lock(&mu_);
  for (const std::string& tag : TagKeys(record)) by_tag_[tag].insert(id);
  for (const AutoTag& t : record.auto_tags) {
    float& p = auto_tags_[t.tag][id];
    p = std::max(p, t.probability);
  }
  for (const std::string& label : record.class_labels) {
    by_label_[label].insert(id);
  }
  if (all_.insert(id).second) total_duration_ += record.duration_seconds;
  facts_[id] = Facts{record.duration_seconds, record.added_unix_micros};
}

void TagIndex::Remove(const SoundRecord& record) {
  const int64_t id = static_cast<int64_t>(record.id);
  absl::MutexLock lock(&mu_);
  auto forget = [id](absl::flat_hash_map<std::string, IdSet>& map,
                     const std::string& key) {
    auto it = map.find(key);
    if (it == map.end()) return;
    it->second.erase(id);
    if (it->second.empty()) map.erase(it);
  };
  for (const std::string& tag : TagKeys(record)) forget(by_tag_, tag);
  for (const AutoTag& t : record.auto_tags) {
    auto it = auto_tags_.find(t.tag);
    if (it == auto_tags_.end()) continue;
    it->second.erase(id);
    if (it->second.empty()) auto_tags_.erase(it);
  }
  for (const std::string& label : record.class_labels) forget(by_label_, label);
  if (all_.erase(id) > 0) total_duration_ -= record.duration_seconds;
  facts_.erase(id);
}

bool TagIndex::PassesFacts(const SoundFilter& f, int64_t id,
                           const Facts& facts) const {
  if (f.min_duration_seconds &&
      facts.duration_seconds < *f.min_duration_seconds)
    return false;
  if (f.max_duration_seconds &&
      facts.duration_seconds > *f.max_duration_seconds)
    return false;
  if (f.added_after_unix_micros &&
      facts.added_unix_micros < *f.added_after_unix_micros)
    return false;
  if (f.added_before_unix_micros &&
      facts.added_unix_micros >= *f.added_before_unix_micros)
    return false;
  for (const AutoTagAtLeast& want : f.auto_tags_at_least) {
    auto tag = auto_tags_.find(absl::AsciiStrToLower(want.tag));
    if (tag == auto_tags_.end()) return false;
    auto p = tag->second.find(id);
    if (p == tag->second.end() || p->second < want.min_probability) {
      return false;
    }
  }
  return true;
}

IdSet TagIndex::MatchLocked(const SoundFilter& filter) const {
  std::optional<IdSet> result;
  auto any_of = [&](const absl::flat_hash_map<std::string, IdSet>& map,
                    const std::vector<std::string>& keys) {
    if (keys.empty()) return;
    IdSet united;
    for (const std::string& key : keys) {
      const IdSet& ids = Lookup(map, key);
      united.insert(ids.begin(), ids.end());
    }
    Intersect(result, united);
  };
  auto all_of = [&](const absl::flat_hash_map<std::string, IdSet>& map,
                    const std::vector<std::string>& keys) {
    for (const std::string& key : keys) Intersect(result, Lookup(map, key));
  };
  any_of(by_tag_, Lowered(filter.tags_any));
  all_of(by_tag_, Lowered(filter.tags_all));
  any_of(by_label_, filter.labels_any);
  all_of(by_label_, filter.labels_all);
  if (!result.has_value()) result = all_;
  for (const std::string& tag : Lowered(filter.tags_none)) {
    for (int64_t id : Lookup(by_tag_, tag)) result->erase(id);
  }
  if (HasFactClauses(filter)) {
    for (auto it = result->begin(); it != result->end();) {
      auto facts = facts_.find(*it);
      if (facts == facts_.end() || !PassesFacts(filter, *it, facts->second)) {
        result->erase(it++);
      } else {
        ++it;
      }
    }
  }
  return std::move(*result);
}

std::shared_ptr<const IdSet> TagIndex::Match(const SoundFilter& filter) const {
  absl::ReaderMutexLock lock(&mu_);
  return std::make_shared<const IdSet>(MatchLocked(filter));
}

TagIndex::IdPage TagIndex::List(const SoundFilter& filter, int64_t after,
                                int limit) const {
  absl::ReaderMutexLock lock(&mu_);
  IdPage page;
  std::optional<IdSet> allowed;
  if (HasSetClauses(filter)) allowed = MatchLocked(filter);
  for (auto it = facts_.upper_bound(after); it != facts_.end(); ++it) {
    if (allowed.has_value() ? !allowed->contains(it->first)
                            : !PassesFacts(filter, it->first, it->second)) {
      continue;
    }
    if (static_cast<int>(page.ids.size()) == limit) {
      page.more = true;
      break;
    }
    page.ids.push_back(it->first);
  }
  return page;
}

double TagIndex::total_duration_seconds() const {
  absl::ReaderMutexLock lock(&mu_);
  return total_duration_;
}

}  // namespace soundsearch
