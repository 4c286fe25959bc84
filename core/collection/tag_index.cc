#include "collection/tag_index.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

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

}  // namespace

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
