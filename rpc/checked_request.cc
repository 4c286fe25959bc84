#include "rpc/checked_request.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/impl/codegen/proto_buffer_reader.h"
#include "soundsearch/text.h"

namespace soundsearch {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// Reads protobuf wire format without a schema beyond the descriptor, to find
// the string field that made a parse fail.
class WireReader {
 public:
  explicit WireReader(absl::string_view bytes) : bytes_(bytes) {}
  bool done() const { return pos_ >= bytes_.size(); }

  std::optional<uint64_t> Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= bytes_.size()) return std::nullopt;
      const uint8_t b = static_cast<uint8_t>(bytes_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return std::nullopt;
  }
  std::optional<absl::string_view> Bytes(uint64_t n) {
    if (n > bytes_.size() - pos_) return std::nullopt;
    absl::string_view out = bytes_.substr(pos_, n);
    pos_ += n;
    return out;
  }

 private:
  absl::string_view bytes_;
  size_t pos_ = 0;
};

// The first bad string under `type` in `bytes`, or "malformed" when the wire
// format itself is broken. nullopt: nothing wrong found.
std::optional<absl::Status> FindBadString(const Descriptor& type,
                                          absl::string_view bytes,
                                          const std::string& path, int depth) {
  const absl::Status malformed = absl::InvalidArgumentError(absl::StrCat(
      "request is not a well-formed ", type.full_name(), " message"));
  if (depth > 64) return malformed;
  WireReader in(bytes);
  std::map<int, int> seen;  // field number -> occurrences so far
  while (!in.done()) {
    std::optional<uint64_t> tag = in.Varint();
    if (!tag.has_value() || (*tag >> 3) == 0) return malformed;
    const int number = static_cast<int>(*tag >> 3);
    switch (*tag & 7) {
      case 0:
        if (!in.Varint().has_value()) return malformed;
        break;
      case 1:
        if (!in.Bytes(8).has_value()) return malformed;
        break;
      case 5:
        if (!in.Bytes(4).has_value()) return malformed;
        break;
      case 2: {
        std::optional<uint64_t> n = in.Varint();
        if (!n.has_value()) return malformed;
        std::optional<absl::string_view> value = in.Bytes(*n);
        if (!value.has_value()) return malformed;
        const FieldDescriptor* field = type.FindFieldByNumber(number);
        if (field == nullptr) break;  // unknown field: kept, not checked
        std::string name = path.empty()
                               ? field->name()
                               : absl::StrCat(path, ".", field->name());
        if (field->is_repeated()) {
          absl::StrAppend(&name, "[", seen[number]++, "]");
        }
        if (field->type() == FieldDescriptor::TYPE_STRING) {
          absl::Status s =
              CheckUtf8(absl::StrCat("request field ", name), *value);
          if (!s.ok()) return s;
        } else if (field->type() == FieldDescriptor::TYPE_MESSAGE) {
          std::optional<absl::Status> inner =
              FindBadString(*field->message_type(), *value, name, depth + 1);
          if (inner.has_value()) return inner;
        }
        break;
      }
      default:  // groups are not used by proto3
        return malformed;
    }
  }
  return std::nullopt;
}

}  // namespace

absl::Status DescribeUnparsable(const Descriptor& type,
                                absl::string_view bytes) {
  std::optional<absl::Status> found = FindBadString(type, bytes, "", 0);
  if (found.has_value()) return *found;
  return absl::InvalidArgumentError(
      absl::StrCat("request does not parse as ", type.full_name()));
}

absl::Status ParseRequest(grpc::ByteBuffer* buffer,
                          google::protobuf::Message* message) {
  bool parsed = false;
  {
    grpc::ProtoBufferReader reader(buffer);
    parsed = reader.status().ok() && message->ParseFromZeroCopyStream(&reader);
  }
  if (parsed) {
    buffer->Clear();
    return absl::OkStatus();
  }
  // The slow path, for bad requests only: read the bytes again to say why.
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (buffer->Dump(&slices).ok()) {
    for (const grpc::Slice& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  buffer->Clear();
  return DescribeUnparsable(*message->GetDescriptor(), bytes);
}

}  // namespace soundsearch
