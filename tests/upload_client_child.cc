// A real gRPC client process that a test kills in the middle of an upload:
// upload_client_child TARGET FILE EXTERNAL_ID BYTES opens AddSoundStream,
// sends the header (without total_bytes: the server must notice the broken
// stream by itself) and the first BYTES bytes of FILE, prints "sent" and
// then waits to be killed, never half-closing the stream.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "grpcpp/grpcpp.h"
#include "soundsearch/v1/ingest.grpc.pb.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: upload_client_child TARGET FILE EXT BYTES\n");
    return 2;
  }
  std::ifstream in(argv[2], std::ios::binary);
  const std::string bytes(std::istreambuf_iterator<char>(in), {});
  const size_t send =
      std::min<size_t>(std::strtoull(argv[4], nullptr, 10), bytes.size());
  auto channel =
      grpc::CreateChannel(argv[1], grpc::InsecureChannelCredentials());
  auto stub = soundsearch::v1::Ingest::NewStub(channel);
  grpc::ClientContext ctx;
  soundsearch::v1::AddSoundResponse response;
  auto writer = stub->AddSoundStream(&ctx, &response);
  soundsearch::v1::AddSoundStreamRequest header;
  header.mutable_header()->mutable_fields()->set_external_id(argv[3]);
  header.mutable_header()->set_filename("killed-mid-upload.wav");
  if (!writer->Write(header)) return 1;
  for (size_t off = 0; off < send; off += 64 << 10) {
    soundsearch::v1::AddSoundStreamRequest chunk;
    chunk.set_chunk(bytes.substr(off, std::min<size_t>(64 << 10, send - off)));
    if (!writer->Write(chunk)) return 1;
  }
  std::printf("sent\n");
  std::fflush(stdout);
  for (;;) pause();
}
