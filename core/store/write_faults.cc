#include "store/write_faults.h"

#include <atomic>
#include <memory>
#include <string>
#include <utility>

#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "rocksdb/io_status.h"

namespace soundsearch {
namespace {

std::atomic<bool> enabled{false};
std::atomic<bool> full{false};

rocksdb::IOStatus NoSpace() {
  return rocksdb::IOStatus::NoSpace("No space left on device",
                                    "injected by the test");
}

// A writable file whose writes fail while the disk is full. A write-ahead
// log's appends go on (into the room RocksDB preallocated for it, as on a
// real full disk); preallocations fail (RocksDB goes on without). Creating
// a file needs no room, as on a real disk.
class FaultFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultFile(std::unique_ptr<rocksdb::FSWritableFile> file, bool wal)
      : FSWritableFileOwnerWrapper(std::move(file)), wal_(wal) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    if (Full()) return NoSpace();
    return target()->Append(data, options, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    if (Full()) return NoSpace();
    return target()->Append(data, options, info, dbg);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                     uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override {
    if (Full()) return NoSpace();
    return target()->PositionedAppend(data, offset, options, dbg);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                     uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     const rocksdb::DataVerificationInfo& info,
                                     rocksdb::IODebugContext* dbg) override {
    if (Full()) return NoSpace();
    return target()->PositionedAppend(data, offset, options, info, dbg);
  }
  rocksdb::IOStatus Allocate(uint64_t offset, uint64_t len,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
    if (full.load()) return NoSpace();
    return target()->Allocate(offset, len, options, dbg);
  }

 private:
  bool Full() const { return !wal_ && full.load(); }
  const bool wal_;
};

bool IsWal(const std::string& name) {
  return name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0;
}

class FaultFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultFileSystem(std::shared_ptr<rocksdb::FileSystem> base)
      : FileSystemWrapper(std::move(base)) {}
  const char* Name() const override { return "SoundsearchWriteFaults"; }

  // RocksDB's own recovery from a full disk waits for free space: none
  // while the disk is "full".
  rocksdb::IOStatus GetFreeSpace(const std::string& path,
                                 const rocksdb::IOOptions& options,
                                 uint64_t* free,
                                 rocksdb::IODebugContext* dbg) override {
    if (full.load()) {
      *free = 0;
      return rocksdb::IOStatus::OK();
    }
    return target()->GetFreeSpace(path, options, free, dbg);
  }

  rocksdb::IOStatus NewWritableFile(
      const std::string& name, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, &file, dbg);
    if (s.ok()) result->reset(new FaultFile(std::move(file), IsWal(name)));
    return s;
  }
  rocksdb::IOStatus ReopenWritableFile(
      const std::string& name, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus s =
        target()->ReopenWritableFile(name, options, &file, dbg);
    if (s.ok()) result->reset(new FaultFile(std::move(file), IsWal(name)));
    return s;
  }
  rocksdb::IOStatus ReuseWritableFile(
      const std::string& name, const std::string& old_name,
      const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus s =
        target()->ReuseWritableFile(name, old_name, options, &file, dbg);
    if (s.ok()) result->reset(new FaultFile(std::move(file), IsWal(name)));
    return s;
  }
};

}  // namespace

void EnableStoreWriteFaultsForTesting() { enabled.store(true); }

void SetStoreDiskFullForTesting(bool value) { full.store(value); }

rocksdb::Env* StoreWriteFaultEnv() {
  if (!enabled.load()) return nullptr;
  // Made once, kept for the process (stores may outlive any owner here).
  static rocksdb::Env* const env =
      rocksdb::NewCompositeEnv(
          std::make_shared<FaultFileSystem>(rocksdb::FileSystem::Default()))
          .release();
  return env;
}

}  // namespace soundsearch
