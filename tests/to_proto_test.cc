// rpc/to_proto: a sound's recognised speech reaches the API's Sound message
// (GetSound, query hits) field by field.
#include "rpc/to_proto.h"

#include "gtest/gtest.h"
#include "soundsearch/sound_record.h"
#include "soundsearch/v1/common.pb.h"

namespace soundsearch {
namespace {

TEST(ToProtoTest, SpokenContentIsCopied) {
  SoundRecord record;
  record.id = 3;
  SpokenContent spoken;
  spoken.space = "speech";
  spoken.words = {{"seven", 0.75f, 0.25f, 0.5f}, {"yes", 0.5f, 0.5f, 0.75f}};
  spoken.phones = {"S", "EH", "V", "AH", "N"};
  spoken.truncated = true;
  record.spoken = {spoken};
  v1::Sound out;
  ToProto(record, &out);
  ASSERT_EQ(out.spoken_size(), 1);
  const v1::SpokenContent& c = out.spoken(0);
  EXPECT_EQ(c.space(), "speech");
  ASSERT_EQ(c.words_size(), 2);
  EXPECT_EQ(c.words(0).word(), "seven");
  EXPECT_FLOAT_EQ(c.words(0).confidence(), 0.75f);
  EXPECT_FLOAT_EQ(c.words(0).start_seconds(), 0.25f);
  EXPECT_FLOAT_EQ(c.words(0).end_seconds(), 0.5f);
  EXPECT_EQ(c.words(1).word(), "yes");
  ASSERT_EQ(c.phones_size(), 5);
  EXPECT_EQ(c.phones(0), "S");
  EXPECT_EQ(c.phones(4), "N");
  EXPECT_TRUE(c.truncated());
}

}  // namespace
}  // namespace soundsearch
