// Whether a gRPC listen address is reachable only from this machine: the
// rule behind "no open default off loopback" (ServerOptions::listen).
#ifndef SOUNDSEARCH_SERVER_LISTEN_ADDRESS_H_
#define SOUNDSEARCH_SERVER_LISTEN_ADDRESS_H_

#include "absl/strings/string_view.h"

namespace soundsearch {

// True for 127.0.0.0/8, ::1 (and ::ffff:127.x.y.z), `localhost` and unix
// sockets (`unix:`, `unix-abstract:`), with or without gRPC's `ipv4:` /
// `ipv6:` scheme. False for anything else: 0.0.0.0, [::], other addresses,
// host names, and forms it does not recognise.
bool IsLoopbackListenAddress(absl::string_view address);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SERVER_LISTEN_ADDRESS_H_
