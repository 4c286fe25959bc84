#include "collection/word_index.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "embedding/byte_io.h"
#include "soundsearch/status_macros.h"
#include "soundsearch/text_terms.h"

namespace soundsearch {
namespace {

constexpr uint32_t kWordVectorFormat = 1;

double Cosine(absl::Span<const float> a, absl::Span<const float> b) {
  double dot = 0, na = 0, nb = 0;
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    dot += double{a[i]} * b[i];
    na += double{a[i]} * a[i];
    nb += double{b[i]} * b[i];
  }
  if (na == 0 || nb == 0) return 0.0;
  return dot / std::sqrt(na * nb);
}

}  // namespace

std::string EncodeWordVector(const StoredWordVector& v) {
  ByteWriter w;
  w.PutU32(kWordVectorFormat);
  w.PutU64(v.projection_version);
  w.PutU32(static_cast<uint32_t>(v.ids.size()));
  for (uint64_t id : v.ids) w.PutU64(id);
  w.PutU32(static_cast<uint32_t>(v.mean.size()));
  w.PutFloats(v.mean);
  return w.FinishWithCrc();
}

absl::StatusOr<StoredWordVector> DecodeWordVector(absl::string_view bytes) {
  if (bytes.size() < 4 ||
      Crc32(bytes.substr(0, bytes.size() - 4)) !=
          *ByteReader(bytes.substr(bytes.size() - 4), "word vector")
               .ReadU32("crc")) {
    return absl::DataLossError("word vector: bad CRC or truncated");
  }
  ByteReader r(bytes.substr(0, bytes.size() - 4), "word vector");
  StoredWordVector v;
  auto format = r.ReadU32("format");
  if (!format.ok() || *format != kWordVectorFormat) {
    return absl::DataLossError("word vector: unknown format");
  }
  auto version = r.ReadU64("projection_version");
  auto n = r.ReadU32("n");
  if (!version.ok() || !n.ok())
    return absl::DataLossError("word vector: short");
  v.projection_version = *version;
  for (uint32_t i = 0; i < *n; ++i) {
    auto id = r.ReadU64("id");
    if (!id.ok()) return absl::DataLossError("word vector: short ids");
    v.ids.push_back(*id);
  }
  auto dim = r.ReadU32("dim");
  if (!dim.ok() || !r.ReadFloats(*dim, "mean", &v.mean).ok()) {
    return absl::DataLossError("word vector: short mean");
  }
  return v;
}

WordIndex::WordIndex(const WordVectorOptions& options, SoundStore* store)
    : options_(options), store_(store) {}

absl::Status WordIndex::ValidateOptions(const WordVectorOptions& options) {
  if (options.max_sounds_per_word < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("words.max_sounds_per_word must be >= 1, got ",
                     options.max_sounds_per_word));
  }
  if (!(options.max_clip_seconds > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "words.max_clip_seconds must be > 0, got ", options.max_clip_seconds));
  }
  return absl::OkStatus();
}

std::set<uint64_t>& WordIndex::AddMember(const std::string& word,
                                         uint64_t sound) {
  auto [it, added] = members_.try_emplace(word);
  if (added) by_key_[TermKey(word)].insert(word);
  it->second.insert(sound);
  return it->second;
}

void WordIndex::ForgetWord(const std::string& word) {
  members_.erase(word);
  auto key = by_key_.find(TermKey(word));
  if (key == by_key_.end()) return;
  key->second.erase(word);
  if (key->second.empty()) by_key_.erase(key);
}

void WordIndex::AddMembership(const SoundRecord& sound) {
  absl::MutexLock lock(&mu_);
  for (const std::string& w : WordsOfSound(sound, options_)) {
    AddMember(w, sound.id);
  }
}

std::vector<uint64_t> WordIndex::FirstMembers(const std::string& word) const {
  std::vector<uint64_t> ids;
  auto it = members_.find(word);
  if (it == members_.end()) return ids;
  for (uint64_t id : it->second) {
    if (static_cast<int>(ids.size()) >= options_.max_sounds_per_word) break;
    ids.push_back(id);
  }
  return ids;
}

absl::StatusOr<WordIndex::Entry> WordIndex::Compute(
    const WordSpace& space, const std::vector<uint64_t>& ids, const Entry* base,
    VectorCache* cache) const {
  Entry entry;
  size_t begin = 0;
  // Appending to the same first sounds (the usual add): start from the
  // stored mean instead of re-reading every sound.
  if (base != nullptr && !base->ids.empty() && base->ids.size() <= ids.size() &&
      std::equal(base->ids.begin(), base->ids.end(), ids.begin())) {
    entry.ids = base->ids;
    entry.mean = base->mean;
    const float n = static_cast<float>(base->ids.size());
    for (float& x : entry.mean) x *= n;
    begin = base->ids.size();
  }
  for (size_t i = begin; i < ids.size(); ++i) {
    const uint64_t id = ids[i];
    absl::StatusOr<std::vector<float>> v;
    auto cached = cache->find(id);
    if (cached != cache->end()) {
      v = cached->second;
    } else {
      v = space.vector(id);
      if (v.ok() && cache->size() < kMaxCachedVectors) cache->emplace(id, *v);
    }
    if (absl::IsNotFound(v.status())) continue;
    RETURN_IF_ERROR(v.status());
    if (entry.mean.empty()) entry.mean.assign(v->size(), 0.0f);
    if (v->size() != entry.mean.size()) {
      return absl::InternalError(absl::StrCat(
          "space '", space.name, "': index vectors of differing lengths"));
    }
    for (size_t j = 0; j < v->size(); ++j) entry.mean[j] += (*v)[j];
    entry.ids.push_back(id);
  }
  if (entry.ids.empty()) return absl::NotFoundError("no vectors");
  const float inv = 1.0f / static_cast<float>(entry.ids.size());
  for (float& x : entry.mean) x *= inv;
  return entry;
}

absl::Status WordIndex::Update(const WordSpace& space,
                               const std::set<std::string>& words,
                               bool incremental) {
  if (words.empty()) return absl::OkStatus();
  std::map<std::string, std::vector<uint64_t>> wanted;
  std::map<std::string, Entry> bases;
  {
    absl::ReaderMutexLock lock(&mu_);
    auto table = spaces_.find(space.name);
    for (const std::string& w : words) {
      wanted[w] = FirstMembers(w);
      if (incremental && table != spaces_.end()) {
        auto it = table->second.find(w);
        if (it != table->second.end()) bases[w] = it->second;
      }
    }
  }
  VectorCache cache;
  std::map<std::string, Entry> computed;
  std::vector<std::string> gone;
  std::map<std::string, std::string> encoded;
  for (const auto& [word, ids] : wanted) {
    auto base = bases.find(word);
    auto entry = Compute(space, ids,
                         base == bases.end() ? nullptr : &base->second, &cache);
    if (absl::IsNotFound(entry.status())) {
      gone.push_back(word);
      continue;
    }
    RETURN_IF_ERROR(entry.status());
    encoded[word] = EncodeWordVector(
        StoredWordVector{space.projection_version, entry->ids, entry->mean});
    computed.emplace(word, *std::move(entry));
  }
  // Queries see the new vectors at once; the store follows. A write that
  // fails leaves the words pending: RetryPending writes them again (and the
  // next Open recomputes whatever is stale).
  {
    absl::MutexLock lock(&mu_);
    SpaceWords& table = spaces_[space.name];
    for (auto& [word, entry] : computed) table[word] = entry;
    for (const std::string& word : gone) table.erase(word);
  }
  absl::Status written;
  if (!encoded.empty()) {
    written = store_->PutWordVectors(space.name, encoded,
                                     /*replace_all=*/false);
  }
  for (const std::string& word : gone) {
    if (!written.ok()) break;
    absl::Status deleted = store_->DeleteWordVector(space.name, word);
    if (!deleted.ok() && !absl::IsNotFound(deleted)) written = deleted;
  }
  absl::MutexLock lock(&mu_);
  std::set<std::string>& pending = pending_[space.name];
  for (const auto& [word, ids] : wanted) {
    if (written.ok()) {
      pending.erase(word);
    } else {
      pending.insert(word);
    }
  }
  if (pending.empty()) pending_.erase(space.name);
  return written;
}

absl::Status WordIndex::RetryPending(const std::vector<WordSpace>& spaces) {
  absl::Status first;
  for (const WordSpace& space : spaces) {
    std::set<std::string> words;
    {
      absl::ReaderMutexLock lock(&mu_);
      auto it = pending_.find(space.name);
      if (it == pending_.end()) continue;
      words = it->second;
    }
    absl::Status s = Update(space, words, /*incremental=*/false);
    if (first.ok()) first = s;
  }
  return first;
}

size_t WordIndex::pending() const {
  absl::ReaderMutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [space, words] : pending_) n += words.size();
  return n;
}

absl::Status WordIndex::Load(const WordSpace& space) {
  SpaceWords loaded;
  std::vector<std::string> stray;
  RETURN_IF_ERROR(store_->ForEachWordVector(
      space.name, [&](absl::string_view word, absl::string_view bytes) {
        auto v = DecodeWordVector(bytes);
        if (v.ok() && v->projection_version == space.projection_version) {
          loaded[std::string(word)] = Entry{v->ids, v->mean};
        } else {
          stray.emplace_back(word);  // recomputed below if still carried
        }
        return true;
      }));
  std::set<std::string> stale;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = loaded.begin(); it != loaded.end();) {
      if (members_.count(it->first) == 0) {
        stray.push_back(it->first);
        it = loaded.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [word, ids] : members_) {
      // Stale when it did not average exactly the wanted sounds (a sound
      // without a vector in this space makes it differ, and recomputing
      // gives the same ids again: correct, at a small cost per open).
      auto it = loaded.find(word);
      if (it == loaded.end() || it->second.ids != FirstMembers(word)) {
        stale.insert(word);
      }
    }
    spaces_[space.name] = std::move(loaded);
  }
  for (const std::string& word : stray) {
    bool carried;
    {
      absl::ReaderMutexLock lock(&mu_);
      carried = members_.count(word) > 0;
    }
    if (carried) {
      stale.insert(word);
    } else {
      absl::Status deleted = store_->DeleteWordVector(space.name, word);
      if (!deleted.ok() && !absl::IsNotFound(deleted)) return deleted;
    }
  }
  return Update(space, stale, /*incremental=*/false);
}

absl::Status WordIndex::AddSound(const SoundRecord& sound,
                                 const std::vector<WordSpace>& spaces) {
  std::set<std::string> changed;
  {
    absl::MutexLock lock(&mu_);
    for (std::string& w : WordsOfSound(sound, options_)) {
      std::set<uint64_t>& ids = AddMember(w, sound.id);
      // Changed when the new id lands among the first members.
      const auto pos = std::distance(ids.begin(), ids.find(sound.id));
      if (pos < options_.max_sounds_per_word) changed.insert(std::move(w));
    }
  }
  for (const WordSpace& space : spaces) {
    RETURN_IF_ERROR(Update(space, changed, /*incremental=*/true));
  }
  return absl::OkStatus();
}

absl::Status WordIndex::RemoveSound(const SoundRecord& sound,
                                    const std::vector<WordSpace>& spaces) {
  std::set<std::string> changed;
  {
    absl::MutexLock lock(&mu_);
    for (const std::string& w : WordsOfSound(sound, options_)) {
      auto it = members_.find(w);
      if (it == members_.end()) continue;
      auto pos_it = it->second.find(sound.id);
      if (pos_it == it->second.end()) continue;
      const auto pos = std::distance(it->second.begin(), pos_it);
      it->second.erase(pos_it);
      if (it->second.empty()) ForgetWord(w);
      if (pos < options_.max_sounds_per_word) changed.insert(w);
    }
  }
  for (const WordSpace& space : spaces) {
    RETURN_IF_ERROR(Update(space, changed, /*incremental=*/false));
  }
  return absl::OkStatus();
}

absl::Status WordIndex::RecomputeSpace(const WordSpace& space) {
  std::set<std::string> all;
  {
    absl::ReaderMutexLock lock(&mu_);
    for (const auto& [word, ids] : members_) all.insert(word);
  }
  return Update(space, all, /*incremental=*/false);
}

absl::StatusOr<WordIndex::Entry> WordIndex::Lookup(
    absl::string_view space, const std::string& word) const {
  auto s = spaces_.find(std::string(space));
  if (s != spaces_.end()) {
    auto it = s->second.find(word);
    if (it != s->second.end()) return it->second;
  }
  return absl::NotFoundError(absl::StrCat("no sound carries the word '", word,
                                          "' (space '", space, "')"));
}

absl::StatusOr<WordVectorInfo> WordIndex::Get(absl::string_view space,
                                              absl::string_view word) const {
  const std::string w = NormaliseWord(word);
  absl::ReaderMutexLock lock(&mu_);
  ASSIGN_OR_RETURN(Entry entry, Lookup(space, w));
  WordVectorInfo info;
  info.space = std::string(space);
  info.word = w;
  info.vector = std::move(entry.mean);
  info.sounds_used = static_cast<int64_t>(entry.ids.size());
  auto m = members_.find(w);
  info.sounds_total =
      m == members_.end() ? 0 : static_cast<int64_t>(m->second.size());
  return info;
}

absl::StatusOr<WordPairCosine> WordIndex::Similarity(
    absl::string_view space, absl::string_view a, absl::string_view b) const {
  ASSIGN_OR_RETURN(WordVectorInfo va, Get(space, a));
  ASSIGN_OR_RETURN(WordVectorInfo vb, Get(space, b));
  WordPairCosine out;
  out.space = std::string(space);
  out.cosine = Cosine(va.vector, vb.vector);
  out.sounds_a = va.sounds_total;
  out.sounds_b = vb.sounds_total;
  return out;
}

absl::StatusOr<std::vector<WordNeighbour>> WordIndex::Nearest(
    absl::string_view space, absl::string_view word, int k) const {
  if (k < 1) {
    return absl::InvalidArgumentError(absl::StrCat("k must be >= 1, got ", k));
  }
  const std::string w = NormaliseWord(word);
  absl::ReaderMutexLock lock(&mu_);
  ASSIGN_OR_RETURN(Entry query, Lookup(space, w));
  std::vector<WordNeighbour> all;
  const SpaceWords& table = spaces_.at(std::string(space));
  for (const auto& [other, entry] : table) {
    if (other == w) continue;
    auto m = members_.find(other);
    all.push_back(
        {other, Cosine(query.mean, entry.mean),
         m == members_.end() ? 0 : static_cast<int64_t>(m->second.size())});
  }
  const size_t n = std::min(all.size(), static_cast<size_t>(k));
  std::partial_sort(all.begin(), all.begin() + n, all.end(),
                    [](const WordNeighbour& x, const WordNeighbour& y) {
                      if (x.cosine != y.cosine) return x.cosine > y.cosine;
                      return x.word < y.word;
                    });
  all.resize(n);
  return all;
}

absl::StatusOr<std::vector<WordNeighbour>> WordIndex::NearestToVector(
    absl::string_view space, absl::Span<const float> vector, int k) const {
  if (k < 0) {
    return absl::InvalidArgumentError(absl::StrCat("k must be >= 0, got ", k));
  }
  absl::ReaderMutexLock lock(&mu_);
  std::vector<WordNeighbour> all;
  auto table = spaces_.find(std::string(space));
  if (table == spaces_.end() || k == 0) return all;
  for (const auto& [word, entry] : table->second) {
    auto m = members_.find(word);
    all.push_back(
        {word, Cosine(vector, entry.mean),
         m == members_.end() ? 0 : static_cast<int64_t>(m->second.size())});
  }
  const size_t n = std::min(all.size(), static_cast<size_t>(k));
  std::partial_sort(all.begin(), all.begin() + n, all.end(),
                    [](const WordNeighbour& x, const WordNeighbour& y) {
                      if (x.cosine != y.cosine) return x.cosine > y.cosine;
                      return x.word < y.word;
                    });
  all.resize(n);
  return all;
}

std::vector<WordIndex::TermMatch> WordIndex::MatchTerms(
    absl::string_view space, const std::vector<std::string>& terms) const {
  constexpr int kMaxRun = 4;
  std::vector<TermMatch> out;
  absl::ReaderMutexLock lock(&mu_);
  auto table = spaces_.find(std::string(space));
  if (table == spaces_.end()) return out;
  const int n = static_cast<int>(terms.size());
  int i = 0;
  while (i < n) {
    bool matched = false;
    for (int len = std::min(kMaxRun, n - i); len >= 1 && !matched; --len) {
      std::string key = terms[i];
      for (int j = i + 1; j < i + len; ++j)
        absl::StrAppend(&key, " ", terms[j]);
      auto words = by_key_.find(key);
      if (words == by_key_.end()) continue;
      const std::string* best = nullptr;
      size_t best_sounds = 0;
      for (const std::string& word : words->second) {  // in word order
        if (table->second.count(word) == 0) continue;
        const size_t sounds = members_.at(word).size();
        if (best == nullptr || sounds > best_sounds) {
          best = &word;
          best_sounds = sounds;
        }
      }
      if (best == nullptr) continue;
      TermMatch match;
      match.first_term = i;
      match.num_terms = len;
      match.word = *best;
      match.vector = table->second.at(*best).mean;
      match.sounds = static_cast<int64_t>(best_sounds);
      out.push_back(std::move(match));
      i += len;
      matched = true;
    }
    if (!matched) ++i;
  }
  return out;
}

std::vector<std::string> WordIndex::Vocabulary() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::string> out;
  out.reserve(members_.size());
  for (const auto& [word, ids] : members_) out.push_back(word);
  return out;
}

}  // namespace soundsearch
