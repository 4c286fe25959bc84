// TagIndex (core/collection, private): tag, label, duration, time-added and
// auto-tag clauses of a filter, and listing by id.
#include "collection/tag_index.h"

#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace soundsearch {
namespace {

using ::testing::ElementsAre;

SoundRecord Record(uint64_t id, double seconds, int64_t added,
                   std::vector<std::string> labels,
                   std::vector<AutoTag> auto_tags = {}) {
  SoundRecord r;
  r.id = id;
  r.duration_seconds = seconds;
  r.added_unix_micros = added;
  r.class_labels = std::move(labels);
  r.tags = {"demo"};
  r.auto_tags = std::move(auto_tags);
  return r;
}

std::vector<int64_t> Sorted(const IdSet& ids) {
  std::vector<int64_t> v(ids.begin(), ids.end());
  std::sort(v.begin(), v.end());
  return v;
}

class TagIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    index_.Add(Record(1, 1.0, 100, {"dog"}, {{"bark", 0.9f}, {"music", 0.2f}}));
    index_.Add(Record(2, 5.0, 200, {"dog"}, {{"bark", 0.4f}}));
    index_.Add(Record(3, 10.0, 300, {"rain"}));
    index_.Add(Record(4, 30.0, 400, {"rain"}, {{"music", 0.8f}}));
  }
  TagIndex index_;
};

TEST_F(TagIndexTest, DurationRangeIncludesBothEnds) {
  SoundFilter f;
  f.min_duration_seconds = 5.0;
  f.max_duration_seconds = 10.0;
  EXPECT_THAT(Sorted(*index_.Match(f)), ElementsAre(2, 3));
}

TEST_F(TagIndexTest, TimeAddedIsHalfOpen) {
  SoundFilter f;
  f.added_after_unix_micros = 200;
  f.added_before_unix_micros = 400;
  EXPECT_THAT(Sorted(*index_.Match(f)), ElementsAre(2, 3));
}

TEST_F(TagIndexTest, AutoTagWithAtLeastAProbability) {
  SoundFilter f;
  f.auto_tags_at_least = {{"Bark", 0.5f}};  // lower-cased before matching
  EXPECT_THAT(Sorted(*index_.Match(f)), ElementsAre(1));
  f.auto_tags_at_least = {{"bark", 0.4f}};
  EXPECT_THAT(Sorted(*index_.Match(f)), ElementsAre(1, 2));
  f.auto_tags_at_least = {{"bark", 0.1f}, {"music", 0.1f}};  // both
  EXPECT_THAT(Sorted(*index_.Match(f)), ElementsAre(1));
  f.auto_tags_at_least = {{"purr", 0.0f}};
  EXPECT_TRUE(index_.Match(f)->empty());
}

TEST_F(TagIndexTest, RangesCombineWithLabels) {
  SoundFilter f;
  f.labels_any = {"rain"};
  f.max_duration_seconds = 20.0;
  EXPECT_THAT(Sorted(*index_.Match(f)), ElementsAre(3));
}

TEST_F(TagIndexTest, ListPagesByIdWithFilters) {
  SoundFilter all;
  TagIndex::IdPage page = index_.List(all, 0, 3);
  EXPECT_THAT(page.ids, ElementsAre(1, 2, 3));
  EXPECT_TRUE(page.more);
  page = index_.List(all, 3, 3);
  EXPECT_THAT(page.ids, ElementsAre(4));
  EXPECT_FALSE(page.more);

  SoundFilter dogs;
  dogs.labels_any = {"dog"};
  page = index_.List(dogs, 0, 1);
  EXPECT_THAT(page.ids, ElementsAre(1));
  EXPECT_TRUE(page.more);
  page = index_.List(dogs, 1, 1);
  EXPECT_THAT(page.ids, ElementsAre(2));
  EXPECT_FALSE(page.more);

  SoundFilter long_ones;
  long_ones.min_duration_seconds = 6.0;
  EXPECT_THAT(index_.List(long_ones, 0, 10).ids, ElementsAre(3, 4));
}

TEST_F(TagIndexTest, RemoveForgetsEveryClause) {
  index_.Remove(
      Record(1, 1.0, 100, {"dog"}, {{"bark", 0.9f}, {"music", 0.2f}}));
  SoundFilter f;
  f.auto_tags_at_least = {{"bark", 0.1f}};
  EXPECT_THAT(Sorted(*index_.Match(f)), ElementsAre(2));
  EXPECT_THAT(index_.List(SoundFilter(), 0, 10).ids, ElementsAre(2, 3, 4));
  EXPECT_DOUBLE_EQ(index_.total_duration_seconds(), 45.0);
}

}  // namespace
}  // namespace soundsearch
