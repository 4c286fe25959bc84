// Injected write failures, for tests of a full disk where no small file
// system can be mounted (full_disk_test without root, issue 11). Once
// enabled, the stores opened afterwards write through a RocksDB file system
// that, while the "disk" is full, fails file writes with ENOSPC ("No space left
// on device"), as a real full disk does; reads and everything else go to the
// real file system. Private to core and its tests; nothing in a server enables
// it.
//
// Thread-safety: all functions are thread-safe.
#ifndef SOUNDSEARCH_CORE_STORE_WRITE_FAULTS_H_
#define SOUNDSEARCH_CORE_STORE_WRITE_FAULTS_H_

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace soundsearch {

// Stores opened from now on (in this process) write through the injecting
// file system. There is no way back (a test process uses it throughout).
void EnableStoreWriteFaultsForTesting();
// Full: from now on every write and preallocation of those stores' files
// fails with ENOSPC, except appends to a write-ahead log (which go into the
// room RocksDB preallocated, as on a real disk): writes go on until a flush
// writes a table file. Not full: they succeed again.
void SetStoreDiskFullForTesting(bool full);

// For the store: the Env to open a database with; null unless enabled.
rocksdb::Env* StoreWriteFaultEnv();

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_STORE_WRITE_FAULTS_H_
