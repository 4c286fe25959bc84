// Requests that the server parses itself. gRPC's callback API answers a
// request that does not parse (a proto3 string field that is not valid
// UTF-8, say) with UNIMPLEMENTED and no message, before any handler runs, and
// a client stream's message that does not parse ends the stream as if the
// client had finished it. A method registered through CheckedRequests gets
// its request as Checked<Req> instead: the bytes are parsed here, and a
// request that does not parse reaches the service, which answers
// INVALID_ARGUMENT naming the field ("request field fields.name is not valid
// UTF-8 (byte 0xE9 at offset 3)") and keeps serving.
//
// Thread-safety: Checked values are per call; CheckedRequests registers its
// handlers in the service's constructor, before the server starts.
#ifndef SOUNDSEARCH_RPC_CHECKED_REQUEST_H_
#define SOUNDSEARCH_RPC_CHECKED_REQUEST_H_

#include <chrono>
#include <functional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "rpc/rpc_runner.h"

namespace soundsearch {

// A request message and whether its bytes parsed.
template <class T>
struct Checked {
  T message;
  // InvalidArgument (DescribeUnparsable) when the bytes did not parse;
  // `message` is then empty.
  absl::Status status;
};

// Why `bytes` do not parse as a `type` message: InvalidArgument naming the
// first string field (by its path, "fields.tags[1]") that is not valid
// UTF-8 and the byte offset in it, or saying that the bytes are not a
// well-formed `type` message.
absl::Status DescribeUnparsable(const google::protobuf::Descriptor& type,
                                absl::string_view bytes);

// Parses `buffer` into `message`; on failure returns DescribeUnparsable's
// status. Consumes the buffer either way.
absl::Status ParseRequest(grpc::ByteBuffer* buffer,
                          google::protobuf::Message* message);

// Base of a callback service (Base = v1::X::CallbackService) whose methods
// parse their requests themselves. Call Check* from the service's
// constructor once per method.
template <class Base>
class CheckedRequests : public Base {
 protected:
  // Unary `method` of `service` ("soundsearch.v1.Ingest"): a good request
  // goes to `handler` (the service's own method); a bad one is finished
  // through `runner` (which reports it, as `method`) with its status.
  template <class Self, class Req, class Resp>
  void CheckUnary(const char* service, const char* method,
                  const RpcRunner* runner,
                  grpc::ServerUnaryReactor* (Self::*handler)(
                      grpc::CallbackServerContext*, const Req*, Resp*)) {
    Self* self = static_cast<Self*>(this);
    this->MarkMethodCallback(
        MethodIndex(service, method),
        new grpc::internal::CallbackUnaryHandler<Checked<Req>, Resp>(
            [self, handler, runner, method](
                grpc::CallbackServerContext* context,
                const Checked<Req>* request, Resp* response) {
              if (request->status.ok()) {
                return (self->*handler)(context, &request->message, response);
              }
              grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
              // The token is checked first: a caller without the method's
              // role learns nothing about its request.
              absl::Status admitted = runner->Admit(*context, method);
              runner->Finish(reactor, method, std::chrono::steady_clock::now(),
                             admitted.ok() ? request->status : admitted);
              return reactor;
            }));
  }

  // Client-streaming `method`: `make_reactor` builds the reactor that reads
  // Checked<Req> messages (and answers a bad one itself).
  template <class Req, class Resp>
  void CheckClientStream(const char* service, const char* method,
                         std::function<grpc::ServerReadReactor<Checked<Req>>*(
                             grpc::CallbackServerContext*, Resp*)>
                             make_reactor) {
    this->MarkMethodCallback(
        MethodIndex(service, method),
        new grpc::internal::CallbackClientStreamingHandler<Checked<Req>, Resp>(
            std::move(make_reactor)));
  }

 private:
  // The method's index in the service (its order in the .proto); aborts
  // for a method the service does not have (a programming error).
  static int MethodIndex(const char* service, const char* method) {
    const google::protobuf::MethodDescriptor* m =
        google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
            std::string(service) + "." + method);
    GPR_ASSERT(m != nullptr);
    return m->index();
  }
};

}  // namespace soundsearch

namespace grpc {

// Parses a Checked<T> request: never fails, so the handler always runs.
template <class T>
class SerializationTraits<soundsearch::Checked<T>, void> {
 public:
  static Status Serialize(const soundsearch::Checked<T>& request,
                          ByteBuffer* bb, bool* own_buffer) {
    return SerializationTraits<T>::Serialize(request.message, bb, own_buffer);
  }
  static Status Deserialize(ByteBuffer* buffer,
                            soundsearch::Checked<T>* request) {
    if (buffer == nullptr) return Status(StatusCode::INTERNAL, "No payload");
    request->status = soundsearch::ParseRequest(buffer, &request->message);
    if (!request->status.ok()) request->message.Clear();
    return Status::OK;
  }
};

}  // namespace grpc

#endif  // SOUNDSEARCH_RPC_CHECKED_REQUEST_H_
