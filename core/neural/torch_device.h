// TorchDevice: where a libtorch kind runs, as its spec or options ask.
// Private to soundsearch_torch; includes no libtorch header.
#ifndef SOUNDSEARCH_CORE_NEURAL_TORCH_DEVICE_H_
#define SOUNDSEARCH_CORE_NEURAL_TORCH_DEVICE_H_

namespace soundsearch {

// kAuto: CUDA when libtorch sees a device (and the caller allows it), else
// the CPU. kCuda without a device is a FailedPrecondition where it is used.
enum class TorchDevice { kAuto, kCpu, kCuda };

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_NEURAL_TORCH_DEVICE_H_
