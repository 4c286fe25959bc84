#include "soundsearch/vector_index_slot.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace soundsearch {

VectorIndexSlot::VectorIndexSlot(std::shared_ptr<VectorIndex> index)
    : index_(std::move(index)) {}

std::shared_ptr<VectorIndex> VectorIndexSlot::Get() const {
  absl::MutexLock lock(&mu_);
  return index_;
}

absl::StatusOr<std::shared_ptr<VectorIndex>> VectorIndexSlot::Swap(
    std::shared_ptr<VectorIndex> index) {
  if (index == nullptr) {
    return absl::InvalidArgumentError("VectorIndexSlot::Swap: null index");
  }
  absl::MutexLock lock(&mu_);
  if (index_ != nullptr &&
      (index_->dim() != index->dim() ||
       index_->options().metric != index->options().metric)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "VectorIndexSlot::Swap: new index has dim ", index->dim(), " metric ",
        MetricName(index->options().metric), ", current has dim ",
        index_->dim(), " metric ", MetricName(index_->options().metric)));
  }
  std::swap(index_, index);
  return index;  // the previous one, released outside the lock by the caller
}

}  // namespace soundsearch
