#include "soundsearch/collection_check.h"

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "collection/live_space.h"
#include "soundsearch/space.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {

absl::StatusOr<CollectionCheckReport> CheckCollection(
    const CollectionOptions& options, bool repair) {
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("data_dir: required");
  }
  std::vector<SpaceConfig> spaces = options.spaces;
  if (spaces.empty()) spaces.push_back(DefaultSpaceConfig());
  for (const SpaceConfig& config : spaces) {
    RETURN_IF_ERROR(ValidateSpaceConfig(config));
  }
  const std::filesystem::path root(options.data_dir);
  SoundStoreOptions store_options;
  store_options.path = (root / "store").string();
  store_options.create_if_missing = false;
  ASSIGN_OR_RETURN(std::unique_ptr<SoundStore> store,
                   SoundStore::Open(store_options));

  CollectionCheckReport report;
  ASSIGN_OR_RETURN(report.store, store->Check(repair));
  report.problems = report.store.problems;
  report.repairs = report.store.repairs;
  report.unrepaired = report.store.unrepaired;
  auto found = [&](std::string problem, std::string fix) {
    report.problems.push_back(std::move(problem));
    if (repair && !fix.empty()) {
      report.repairs.push_back(std::move(fix));
    } else {
      ++report.unrepaired;
    }
  };

  absl::Mutex write_mu;  // LiveSpace's writer lock; nothing else writes here
  for (const SpaceConfig& config : spaces) {
    ASSIGN_OR_RETURN(std::unique_ptr<Space> space, Space::Create(config));
    const std::string path = (root / "index" / (config.name + ".idx")).string();
    LiveSpaceLoad load;
    ASSIGN_OR_RETURN(
        std::unique_ptr<LiveSpace> live,
        LiveSpace::Open(std::move(space), path, store.get(), &write_mu, &load));
    const std::string name = absl::StrCat("space '", config.name, "'");
    for (const auto& [id, why] : load.unusable) {
      found(absl::StrCat("sound ", id, ": ", why),
            absl::StrCat("sound ", id, ": quarantined (", why, ")"));
    }
    if (repair && !load.unusable.empty()) {
      ASSIGN_OR_RETURN(uint64_t moved, store->QuarantineSounds(load.unusable));
      report.store.quarantined += moved;
    }
    std::shared_ptr<const SpaceView> view = live->view();
    // Every raw vector decodes and can be indexed (the load reads only those
    // it replays or rebuilds from).
    UnusableSounds unusable;
    RETURN_IF_ERROR(store->ForEachRaw(
        config.name, [&](uint64_t id, absl::string_view bytes) {
          if (load.unusable.count(id) > 0) return true;
          auto raw = RawEmbedding::Decode(bytes);
          absl::Status usable =
              raw.ok() ? live->CheckUsable(*view, *raw) : raw.status();
          if (!usable.ok()) {
            unusable[id] = absl::StrCat("raw vector in space '", config.name,
                                        "': ", usable.message());
          }
          return true;
        }));
    for (const auto& [id, why] : unusable) {
      found(absl::StrCat("sound ", id, ": ", why),
            absl::StrCat("sound ", id, ": quarantined (", why, ")"));
    }
    if (repair && !unusable.empty()) {
      ASSIGN_OR_RETURN(uint64_t moved, store->QuarantineSounds(unusable));
      report.store.quarantined += moved;
    }
    load.unusable.insert(unusable.begin(), unusable.end());
    // The sounds the index must hold: every stored raw vector that can be
    // indexed.
    uint64_t wanted = 0;
    uint64_t missing = 0;
    uint64_t first_missing = 0;
    RETURN_IF_ERROR(
        store->ForEachRaw(config.name, [&](uint64_t id, absl::string_view) {
          if (load.unusable.count(id) > 0) return true;
          ++wanted;
          if (!view->index->Contains(static_cast<int64_t>(id))) {
            if (missing++ == 0) first_missing = id;
          }
          return true;
        }));
    const uint64_t held = static_cast<uint64_t>(view->index->size());
    // After a repair the quarantined sounds are gone from the store, and so
    // from `wanted`; a snapshot may still hold them (it is then deleted
    // below, as it disagrees).
    // Unusable sounds may still sit in a loaded snapshot (added when they
    // were usable); they leave with the quarantine.
    uint64_t held_unusable = 0;
    for (const auto& [id, why] : load.unusable) {
      if (view->index->Contains(static_cast<int64_t>(id))) ++held_unusable;
    }
    const bool agrees = missing == 0 && held - held_unusable == wanted;
    if (!load.rebuilt_because.empty()) {
      report.spaces.push_back(absl::StrCat(name, ": ", load.rebuilt_because,
                                           "; the next start rebuilds its "
                                           "index from ",
                                           wanted, " raw vectors"));
      // No snapshot yet, or one from before the latest refit (the next
      // snapshot replaces it): the rebuild is the normal way there.
      const bool harmless =
          load.rebuilt_because == "no snapshot" ||
          load.rebuilt_because == "snapshot of another projection version";
      if (!harmless) {
        found(absl::StrCat(name, ": ", load.rebuilt_because),
              absl::StrCat(name, ": deleted the snapshot ", path,
                           " (the next start rebuilds the index)"));
        if (repair) {
          std::error_code ec;
          std::filesystem::remove(path, ec);
        }
      }
      continue;
    }
    const uint64_t replayed =
        store->LastSequence() - live->LogNeededAfter().value_or(0);
    report.spaces.push_back(absl::StrCat(
        name, ": snapshot at sequence ", live->LogNeededAfter().value_or(0),
        " + ", replayed, " sequence(s) of the change log: ", held,
        " vectors; the store holds ", wanted, " indexable raw vectors",
        agrees ? "; they agree" : "; they DISAGREE"));
    if (!agrees) {
      found(
          absl::StrCat(name, ": snapshot plus change log holds ", held,
                       " vectors where the store holds ", wanted,
                       missing > 0 ? absl::StrCat(" (", missing,
                                                  " missing, the first sound ",
                                                  first_missing, ")")
                                   : std::string()),
          absl::StrCat(name, ": deleted the snapshot ", path,
                       " (the next start rebuilds the index)"));
      if (repair) {
        std::error_code ec;
        std::filesystem::remove(path, ec);
      }
    }
  }
  return report;
}

}  // namespace soundsearch
