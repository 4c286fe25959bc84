// soundsearch: command-line client of a soundsearchd server. Usage in
// docs/cli.md; `soundsearch help` prints it.
//
// Exit codes: 0 success; 1 the server answered with an error (or some files
// of an `index` run failed); 2 bad usage; 3 the server could not be reached.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "rpc/grpc_status.h"
#include "soundsearch/categorisation.h"
#include "soundsearch/error_reason.h"
#include "soundsearch/manifest.h"
#include "soundsearch/v1/evaluation.grpc.pb.h"
#include "soundsearch/v1/ingest.grpc.pb.h"
#include "soundsearch/v1/query.grpc.pb.h"
#include "soundsearch/vector_fusion.h"
#include "soundsearch/word_pairs.h"
#include "soundsearch/word_similarity.h"
#include "soundsearch/word_vectors.h"
#include "tools/progress_bar.h"

namespace soundsearch {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitServerError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;
// Files above this size go through AddSoundStream in 1 MiB chunks.
constexpr size_t kStreamThreshold = size_t{4} << 20;

constexpr char kUsage[] = R"(usage: soundsearch [global flags] <command> [args]

global flags:
  --server HOST:PORT   server address (default 127.0.0.1:50051)
  --token-file FILE    bearer token for mutating commands (or $SOUNDSEARCH_TOKEN)
  --tls-ca FILE        speak TLS, trusting this CA certificate (PEM)
  --timeout SECONDS    deadline of each call (default 120)
  --json               machine-readable output (docs/cli.md)

commands:
  index DIR                         add every audio file under DIR
  index --manifest CSV [--audio-dir DIR] [--jobs N]
                                    add the files a manifest lists (fname,labels,tags,id,name)
  add FILE [--external-id X] [--name N] [--tags a,b] [--labels L1,L2]
  query FILE | --id N | --external-id X [-k 15] [--space S]
        [--tags-any a,b] [--labels-any L] [--min-score F] [--include-query]
  get --id N | --external-id X
  delete --id N | --external-id X
  stats
  spaces
  refit [--space S]
  evaluate [--space S] [--families F] [--exclude-labels F] [--reference]
  evaluate --last [--space S]       the latest stored evaluation
                                    retrieval quality over the class labels (paths on the server)
  word-sim A B [--space S]          cosine of two word vectors
  nearest-words WORD [-k 10] [--space S]
  word-eval PAIRS [--space S] [--text-vectors W2V.txt --fusion middle|late [--alpha A | --cv]]
                                    Spearman against rated pairs (w1 w2 score)
  categorise --words w1,w2,.. --categories c1,c2,.. --clusters N [--space S]
  help
)";

struct Globals {
  std::string server = "127.0.0.1:50051";
  std::string token;
  std::string tls_ca;
  double timeout_seconds = 120;
  bool json = false;
};

// Flags of a command: --name value pairs, bare flags, and positionals.
struct Args {
  std::map<std::string, std::string> flags;
  std::vector<std::string> positional;

  bool Has(const std::string& name) const { return flags.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& def = "") const {
    auto it = flags.find(name);
    return it == flags.end() ? def : it->second;
  }
};

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bare flags (no value).
bool IsBareFlag(const std::string& name) {
  return name == "json" || name == "include-query" || name == "reference" ||
         name == "cv" || name == "last";
}

Args ParseArgs(const std::vector<std::string>& argv, size_t begin) {
  Args args;
  for (size_t i = begin; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() > 1 && a[0] == '-' && !(a.size() > 1 && std::isdigit(a[1]))) {
      std::string name = a.substr(a.find_first_not_of('-'));
      std::string value;
      size_t eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      } else if (!IsBareFlag(name)) {
        if (i + 1 >= argv.size()) {
          throw UsageError(absl::StrCat("flag --", name, " needs a value"));
        }
        value = argv[++i];
      }
      args.flags[name] = value;
    } else {
      args.positional.push_back(a);
    }
  }
  return args;
}

std::vector<std::string> SplitCsvList(const std::string& value) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipEmpty())) {
    out.emplace_back(absl::StripAsciiWhitespace(part));
  }
  return out;
}

uint64_t ParseId(const std::string& text) {
  uint64_t id = 0;
  if (!absl::SimpleAtoi(text, &id) || id == 0) {
    throw UsageError(absl::StrCat("not a sound id: '", text, "'"));
  }
  return id;
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  // Serialising a well-formed message cannot fail.
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

std::string CodeName(grpc::StatusCode code) {
  static const char* kNames[] = {
      "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
      "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < 17 ? kNames[i] : "UNKNOWN";
}

class Client {
 public:
  explicit Client(const Globals& g) : g_(g) {
    std::shared_ptr<grpc::ChannelCredentials> creds =
        grpc::InsecureChannelCredentials();
    if (!g.tls_ca.empty()) {
      auto ca = ReadFile(g.tls_ca);
      if (!ca) throw UsageError("cannot read --tls-ca " + g.tls_ca);
      grpc::SslCredentialsOptions ssl;
      ssl.pem_root_certs = *ca;
      creds = grpc::SslCredentials(ssl);
    }
    grpc::ChannelArguments channel_args;
    channel_args.SetMaxReceiveMessageSize(256 << 20);
    channel_args.SetMaxSendMessageSize(256 << 20);
    channel_ = grpc::CreateCustomChannel(g.server, creds, channel_args);
    query_ = v1::Query::NewStub(channel_);
    ingest_ = v1::Ingest::NewStub(channel_);
  }

  std::unique_ptr<grpc::ClientContext> Context() const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(
                          static_cast<int64_t>(g_.timeout_seconds * 1000)));
    if (!g_.token.empty()) {
      ctx->AddMetadata("authorization", "Bearer " + g_.token);
    }
    return ctx;
  }

  v1::Query::Stub& query() { return *query_; }
  v1::Ingest::Stub& ingest() { return *ingest_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const Globals& globals() const { return g_; }

  // Adds one file's bytes, streaming large ones.
  grpc::Status AddBytes(const std::string& bytes, const v1::SoundFields& fields,
                        const std::string& filename,
                        v1::AddSoundResponse* response) {
    auto ctx = Context();
    if (bytes.size() <= kStreamThreshold) {
      v1::AddSoundRequest request;
      request.set_audio(bytes);
      *request.mutable_fields() = fields;
      request.set_filename(filename);
      return ingest_->AddSound(ctx.get(), request, response);
    }
    auto writer = ingest_->AddSoundStream(ctx.get(), response);
    v1::AddSoundStreamRequest header;
    *header.mutable_header()->mutable_fields() = fields;
    header.mutable_header()->set_filename(filename);
    bool ok = writer->Write(header);
    constexpr size_t kChunk = size_t{1} << 20;
    for (size_t off = 0; ok && off < bytes.size(); off += kChunk) {
      v1::AddSoundStreamRequest chunk;
      chunk.set_chunk(bytes.substr(off, kChunk));
      ok = writer->Write(chunk);
    }
    writer->WritesDone();
    return writer->Finish();
  }

 private:
  const Globals g_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Query::Stub> query_;
  std::unique_ptr<v1::Ingest::Stub> ingest_;
};

int Fail(const grpc::Status& status) {
  std::fprintf(stderr, "soundsearch: %s: %s\n",
               CodeName(status.error_code()).c_str(),
               status.error_message().c_str());
  return status.error_code() == grpc::StatusCode::UNAVAILABLE
             ? kExitUnreachable
             : kExitServerError;
}

void PrintSoundLine(const v1::Sound& s) {
  std::printf("id %llu  external_id %s  name %s\n  labels [%s]  tags [%s]  "
              "%.2fs  source %s\n",
              static_cast<unsigned long long>(s.id()),
              s.external_id().empty() ? "-" : s.external_id().c_str(),
              s.name().c_str(), absl::StrJoin(s.labels(), ",").c_str(),
              absl::StrJoin(s.tags(), ",").c_str(), s.duration_seconds(),
              s.source().c_str());
}

v1::SoundRef RefFromArgs(const Args& args) {
  v1::SoundRef ref;
  if (args.Has("id")) {
    ref.set_id(ParseId(args.Get("id")));
  } else if (args.Has("external-id")) {
    ref.set_external_id(args.Get("external-id"));
  } else {
    throw UsageError("give --id N or --external-id X");
  }
  return ref;
}

// ---- commands -------------------------------------------------------------------

int CmdAdd(Client& client, const Args& args) {
  if (args.positional.size() != 1) throw UsageError("add: give one FILE");
  const std::string& path = args.positional[0];
  auto bytes = ReadFile(path);
  if (!bytes) {
    std::fprintf(stderr, "soundsearch: cannot read %s\n", path.c_str());
    return kExitUsage;
  }
  v1::SoundFields fields;
  fields.set_external_id(args.Get("external-id"));
  fields.set_name(args.Get("name", std::filesystem::path(path).stem().string()));
  for (const auto& t : SplitCsvList(args.Get("tags"))) fields.add_tags(t);
  for (const auto& l : SplitCsvList(args.Get("labels"))) fields.add_labels(l);
  v1::AddSoundResponse response;
  grpc::Status status = client.AddBytes(
      *bytes, fields, std::filesystem::path(path).filename().string(),
      &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
  } else {
    std::printf("%s id %llu\n", response.duplicate() ? "duplicate of" : "stored",
                static_cast<unsigned long long>(response.id()));
  }
  return kExitOk;
}

bool IsAudioFile(const std::filesystem::path& path) {
  static const char* kExtensions[] = {
      ".wav", ".wave", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".m4a",
      ".mp4", ".aac", ".aif", ".aiff", ".aifc", ".webm", ".mka", ".caf",
      ".wma", ".au", ".snd"};
  std::string ext = absl::AsciiStrToLower(path.extension().string());
  for (const char* e : kExtensions) {
    if (ext == e) return true;
  }
  return false;
}

int CmdIndex(Client& client, const Args& args) {
  std::vector<ManifestRow> rows;
  std::filesystem::path base;
  if (args.Has("manifest")) {
    auto parsed = ReadManifest(args.Get("manifest"));
    if (!parsed.ok()) {
      std::fprintf(stderr, "soundsearch: %s\n",
                   std::string(parsed.status().message()).c_str());
      return kExitUsage;
    }
    rows = *std::move(parsed);
    base = args.Has("audio-dir")
               ? std::filesystem::path(args.Get("audio-dir"))
               : std::filesystem::path(args.Get("manifest")).parent_path();
  } else {
    if (args.positional.size() != 1) {
      throw UsageError("index: give DIR or --manifest CSV");
    }
    base = args.positional[0];
    std::error_code ec;
    if (!std::filesystem::is_directory(base, ec)) {
      std::fprintf(stderr, "soundsearch: %s is not a directory\n",
                   base.string().c_str());
      return kExitUsage;
    }
    for (auto it = std::filesystem::recursive_directory_iterator(base, ec);
         !ec && it != std::filesystem::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_regular_file() && IsAudioFile(it->path())) {
        ManifestRow row;
        row.fname = std::filesystem::relative(it->path(), base).string();
        rows.push_back(std::move(row));
      }
    }
    std::sort(rows.begin(), rows.end(),
              [](const ManifestRow& a, const ManifestRow& b) {
                return a.fname < b.fname;
              });
  }
  int jobs = 4;
  if (args.Has("jobs") && (!absl::SimpleAtoi(args.Get("jobs"), &jobs) ||
                           jobs < 1 || jobs > 64)) {
    throw UsageError("--jobs must be in [1, 64]");
  }

  struct Failure {
    std::string file, code, message;
  };
  std::mutex mu;
  std::vector<Failure> failures;
  int64_t stored = 0, duplicates = 0, done = 0;
  bool unreachable = false;
  std::atomic<size_t> next{0};
  const bool terminal = !client.globals().json && isatty(fileno(stderr));
  ProgressBar progress(static_cast<int64_t>(rows.size()), stderr, terminal);
  const auto start = std::chrono::steady_clock::now();

  auto worker = [&] {
    for (size_t i = next++; i < rows.size(); i = next++) {
      const ManifestRow& row = rows[i];
      const std::filesystem::path path = base / row.fname;
      v1::AddSoundResponse response;
      grpc::Status status;
      auto bytes = ReadFile(path.string());
      if (!bytes) {
        status = grpc::Status(grpc::StatusCode::NOT_FOUND,
                              "cannot read " + path.string());
      } else {
        v1::SoundFields fields;
        fields.set_external_id(row.external_id);
        fields.set_name(row.name.empty()
                            ? std::filesystem::path(row.fname).stem().string()
                            : row.name);
        for (const auto& t : row.tags) fields.add_tags(t);
        for (const auto& l : row.labels) fields.add_labels(l);
        // A full server queue is transient: back off and retry a few times.
        // An upload over the server's limit is not (its error detail says
        // UPLOAD_TOO_LARGE, docs/api.md).
        for (int attempt = 0; attempt < 50; ++attempt) {
          status = client.AddBytes(*bytes, fields, row.fname, &response);
          if (status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED ||
              GrpcErrorReason(status) == kReasonUploadTooLarge) {
            break;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      ++done;
      if (status.ok()) {
        (response.duplicate() ? duplicates : stored)++;
      } else {
        if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
          unreachable = true;
        }
        failures.push_back(
            {row.fname, CodeName(status.error_code()), status.error_message()});
      }
      if (!client.globals().json) progress.Update(done);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < jobs; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (!client.globals().json) progress.Finish(done);

  if (client.globals().json) {
    std::string out = absl::StrCat(
        "{\"total\":", rows.size(), ",\"stored\":", stored,
        ",\"duplicates\":", duplicates, ",\"failed\":", failures.size(),
        ",\"seconds\":", seconds, ",\"failures\":[");
    for (size_t i = 0; i < failures.size(); ++i) {
      v1::JobFailure f;  // reuse protobuf's JSON string escaping
      f.set_fname(failures[i].file);
      f.set_code(failures[i].code);
      f.set_message(failures[i].message);
      absl::StrAppend(&out, i ? "," : "", ToJson(f));
    }
    std::printf("%s]}\n", out.c_str());
  } else {
    std::printf("indexed %zu files in %.1fs: %lld stored, %lld duplicate, "
                "%zu failed\n",
                rows.size(), seconds, static_cast<long long>(stored),
                static_cast<long long>(duplicates), failures.size());
    for (const Failure& f : failures) {
      std::printf("  failed %s: %s: %s\n", f.file.c_str(), f.code.c_str(),
                  f.message.c_str());
    }
  }
  if (unreachable && stored + duplicates == 0) return kExitUnreachable;
  return failures.empty() ? kExitOk : kExitServerError;
}

int CmdQuery(Client& client, const Args& args) {
  v1::QueryByExampleRequest request;
  if (args.Has("id")) {
    request.set_id(ParseId(args.Get("id")));
  } else if (args.Has("external-id")) {
    request.set_external_id(args.Get("external-id"));
  } else if (args.positional.size() == 1) {
    auto bytes = ReadFile(args.positional[0]);
    if (!bytes) {
      std::fprintf(stderr, "soundsearch: cannot read %s\n",
                   args.positional[0].c_str());
      return kExitUsage;
    }
    request.set_audio(*bytes);
  } else {
    throw UsageError("query: give FILE, --id N or --external-id X");
  }
  int k = 15;
  if (args.Has("k") && !absl::SimpleAtoi(args.Get("k"), &k)) {
    throw UsageError("-k needs a number");
  }
  if (k < 1) throw UsageError("-k must be >= 1");
  request.set_k(static_cast<uint32_t>(k));
  request.set_space(args.Get("space"));
  request.set_include_query(args.Has("include-query"));
  for (const auto& t : SplitCsvList(args.Get("tags-any"))) {
    request.mutable_filter()->add_tags_any(t);
  }
  for (const auto& l : SplitCsvList(args.Get("labels-any"))) {
    request.mutable_filter()->add_labels_any(l);
  }
  if (args.Has("min-score")) {
    float min_score = 0;
    if (!absl::SimpleAtof(args.Get("min-score"), &min_score)) {
      throw UsageError("--min-score needs a number");
    }
    request.set_min_score(min_score);
  }
  v1::QueryByExampleResponse response;
  auto ctx = client.Context();
  grpc::Status status = client.query().QueryByExample(ctx.get(), request,
                                                      &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
    return kExitOk;
  }
  std::printf("space %s, %llu sounds, %d results\n", response.space().c_str(),
              static_cast<unsigned long long>(response.collection_size()),
              response.results_size());
  std::printf("%4s  %7s  %8s  %-24s %s\n", "rank", "score", "id", "name",
              "labels");
  int rank = 1;
  for (const v1::ScoredSound& r : response.results()) {
    std::printf("%4d  %7.4f  %8llu  %-24s %s\n", rank++, r.score(),
                static_cast<unsigned long long>(r.id()),
                r.sound().name().substr(0, 24).c_str(),
                absl::StrJoin(r.sound().labels(), ",").c_str());
  }
  return kExitOk;
}

int CmdGet(Client& client, const Args& args) {
  v1::GetSoundRequest request;
  *request.mutable_sound() = RefFromArgs(args);
  v1::Sound response;
  auto ctx = client.Context();
  grpc::Status status = client.query().GetSound(ctx.get(), request, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
  } else {
    PrintSoundLine(response);
  }
  return kExitOk;
}

int CmdDelete(Client& client, const Args& args) {
  v1::DeleteSoundRequest request;
  *request.mutable_sound() = RefFromArgs(args);
  v1::DeleteSoundResponse response;
  auto ctx = client.Context();
  grpc::Status status =
      client.ingest().DeleteSound(ctx.get(), request, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
  } else {
    std::printf("deleted id %llu\n",
                static_cast<unsigned long long>(response.id()));
  }
  return kExitOk;
}

void PrintSpaces(const google::protobuf::RepeatedPtrField<v1::SpaceInfo>& spaces) {
  for (const v1::SpaceInfo& s : spaces) {
    std::printf("  %-12s encoder %-11s pooling %-8s metric %-13s index %-5s "
                "dims %u->%u  %s  vectors %llu\n",
                s.name().c_str(), s.encoder().c_str(), s.pooling().c_str(),
                s.metric().c_str(), s.index_type().c_str(), s.raw_dim(),
                s.index_dim(),
                s.fitted() ? absl::StrCat("fitted v", s.fitted_version()).c_str()
                           : "not fitted",
                static_cast<unsigned long long>(s.vectors()));
  }
}

int CmdStats(Client& client) {
  v1::StatsResponse response;
  auto ctx = client.Context();
  grpc::Status status = client.query().Stats(ctx.get(), {}, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
    return kExitOk;
  }
  std::printf("soundsearchd %s, up %.0fs: %llu sounds, %.1f minutes of audio, "
              "ingest queue %llu\n",
              response.version().c_str(), response.uptime_seconds(),
              static_cast<unsigned long long>(response.sounds()),
              response.total_duration_seconds() / 60,
              static_cast<unsigned long long>(response.ingest_queue_depth()));
  PrintSpaces(response.spaces());
  return kExitOk;
}

int CmdSpaces(Client& client) {
  v1::ListSpacesResponse response;
  auto ctx = client.Context();
  grpc::Status status = client.query().ListSpaces(ctx.get(), {}, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
    return kExitOk;
  }
  std::printf("default space: %s\n", response.default_space().c_str());
  PrintSpaces(response.spaces());
  return kExitOk;
}

int CmdRefit(Client& client, const Args& args) {
  v1::RefitRequest request;
  request.set_space(args.Get("space"));
  v1::RefitResponse response;
  auto ctx = client.Context();
  grpc::Status status = client.ingest().Refit(ctx.get(), request, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
  } else {
    std::printf("refitted %s on %llu sounds in %.2fs (version %llu)\n",
                response.space().c_str(),
                static_cast<unsigned long long>(response.items()),
                response.seconds(),
                static_cast<unsigned long long>(response.fitted_version()));
  }
  return kExitOk;
}

// ---- Evaluation and words (v1.Evaluation) -----------------------------------

int ParseK(const Args& args, int def) {
  if (!args.Has("k")) return def;
  int k = 0;
  if (!absl::SimpleAtoi(args.Get("k"), &k) || k < 1) {
    throw UsageError("-k needs a positive integer");
  }
  return k;
}

void PrintScores(const char* what, const v1::RetrievalScores& s) {
  std::printf("  %-16s MAP@15 %.4f  MAP@150 %.4f  MR1 %.2f\n", what,
              s.map_at_15(), s.map_at_150(), s.mr1());
}

int CmdLastEvaluation(Client& client, const Args& args) {
  v1::GetEvaluationRequest request;
  request.set_space(args.Get("space"));
  v1::EvaluateResponse response;
  auto stub = v1::Evaluation::NewStub(client.channel());
  auto ctx = client.Context();
  grpc::Status status = stub->GetEvaluation(ctx.get(), request, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
    return kExitOk;
  }
  if (response.spaces_size() == 0) std::printf("no space evaluated yet\n");
  for (const v1::SpaceEvaluation& e : response.spaces()) {
    const std::time_t t = static_cast<std::time_t>(e.unix_ms() / 1000);
    char when[32];
    std::strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    std::printf("space %s: evaluated %s%s\n", e.space().c_str(), when,
                e.reference_mode() ? ", reference mode" : "");
    PrintScores("label-based", e.label_based());
  }
  return kExitOk;
}

int CmdEvaluate(Client& client, const Args& args) {
  if (args.Has("last")) return CmdLastEvaluation(client, args);
  v1::EvaluateRequest request;
  request.set_space(args.Get("space"));
  request.set_families_path(args.Get("families"));
  request.set_excluded_labels_path(args.Get("exclude-labels"));
  request.set_reference_mode(args.Has("reference"));
  v1::EvaluateResponse response;
  auto stub = v1::Evaluation::NewStub(client.channel());
  auto ctx = client.Context();
  grpc::Status status = stub->Evaluate(ctx.get(), request, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
    return kExitOk;
  }
  for (const v1::SpaceEvaluation& e : response.spaces()) {
    std::printf(
        "space %s: %lld labelled sounds, %lld labels scored "
        "(%lld left out), %.2fs%s\n",
        e.space().c_str(), static_cast<long long>(e.sounds()),
        static_cast<long long>(e.labels_scored()),
        static_cast<long long>(e.labels_left_out()), e.seconds(),
        e.reference_mode() ? ", reference mode" : "");
    PrintScores("label-based", e.label_based());
    PrintScores("instance-based", e.instance_based());
    for (const v1::FamilyScores& f : e.families()) {
      PrintScores(("family " + f.family()).c_str(), f.scores());
    }
  }
  return kExitOk;
}

int CmdWordSim(Client& client, const Args& args) {
  if (args.positional.size() != 2) throw UsageError("word-sim needs two words");
  v1::WordSimilarityRequest request;
  request.set_a(args.positional[0]);
  request.set_b(args.positional[1]);
  request.set_space(args.Get("space"));
  v1::WordSimilarityResponse response;
  auto stub = v1::Evaluation::NewStub(client.channel());
  auto ctx = client.Context();
  grpc::Status status = stub->WordSimilarity(ctx.get(), request, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
  } else {
    std::printf("%.4f  (space %s; %lld and %lld sounds)\n", response.cosine(),
                response.space().c_str(),
                static_cast<long long>(response.sounds_a()),
                static_cast<long long>(response.sounds_b()));
  }
  return kExitOk;
}

int CmdNearestWords(Client& client, const Args& args) {
  if (args.positional.size() != 1) {
    throw UsageError("nearest-words needs one word");
  }
  v1::NearestWordsRequest request;
  request.set_word(args.positional[0]);
  request.set_k(ParseK(args, 10));
  request.set_space(args.Get("space"));
  v1::NearestWordsResponse response;
  auto stub = v1::Evaluation::NewStub(client.channel());
  auto ctx = client.Context();
  grpc::Status status = stub->NearestWords(ctx.get(), request, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
    return kExitOk;
  }
  std::printf("%s (%lld sounds, space %s)\n", response.word().c_str(),
              static_cast<long long>(response.sounds()),
              response.space().c_str());
  for (const v1::WordNeighbour& n : response.neighbours()) {
    std::printf("  %.4f  %s (%lld sounds)\n", n.cosine(), n.word().c_str(),
                static_cast<long long>(n.sounds()));
  }
  return kExitOk;
}

// Fetches the vectors of `words` from the server into a table keyed by the
// words as given. Returns the space that answered.
grpc::Status FetchWordVectors(Client& client, const std::string& space,
                              const std::vector<std::string>& words,
                              std::optional<WordVectors>* table,
                              std::string* answered_space) {
  auto stub = v1::Evaluation::NewStub(client.channel());
  constexpr size_t kBatch = 10000;
  for (size_t begin = 0; begin < words.size() || begin == 0; begin += kBatch) {
    v1::GetWordVectorsRequest request;
    request.set_space(space);
    for (size_t i = begin; i < std::min(words.size(), begin + kBatch); ++i) {
      request.add_words(words[i]);
    }
    v1::GetWordVectorsResponse response;
    auto ctx = client.Context();
    grpc::Status status = stub->GetWordVectors(ctx.get(), request, &response);
    if (!status.ok()) return status;
    *answered_space = response.space();
    for (const v1::WordVector& v : response.vectors()) {
      if (!table->has_value()) table->emplace(v.vector_size());
      std::vector<float> values(v.vector().begin(), v.vector().end());
      absl::Status added = (*table)->Add(v.word(), values);
      if (!added.ok() && !absl::IsAlreadyExists(added)) {
        return grpc::Status(grpc::StatusCode::INTERNAL,
                            std::string(added.message()));
      }
    }
    if (words.empty()) break;
  }
  return grpc::Status::OK;
}

// A JSON string literal of `s` (quotes, backslashes and control bytes
// escaped; other bytes as they are, UTF-8 passing through).
std::string JsonQuote(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      absl::StrAppend(&out, absl::StrFormat("\\u%04x", c));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  return out;
}

std::string RhoText(const std::optional<double>& rho) {
  return rho.has_value() ? absl::StrFormat("%.4f", *rho) : "undefined";
}

int CmdWordEval(Client& client, const Args& args) {
  if (args.positional.size() != 1) {
    throw UsageError("word-eval needs a pairs file (w1 w2 score per line)");
  }
  auto pairs = ReadWordPairsFile(args.positional[0]);
  if (!pairs.ok()) throw UsageError(std::string(pairs.status().message()));
  std::vector<std::string> words;
  {
    std::set<std::string> seen;
    for (const WordPair& p : *pairs) {
      for (const std::string* w : {&p.first, &p.second}) {
        if (seen.insert(*w).second) words.push_back(*w);
      }
    }
  }
  std::optional<WordVectors> audio;
  std::string space;
  grpc::Status status =
      FetchWordVectors(client, args.Get("space"), words, &audio, &space);
  if (!status.ok()) return Fail(status);
  if (!audio.has_value()) audio.emplace(1);  // no word covered
  auto audio_result = EvaluateWordSimilarity(*pairs, LookupIn(*audio));
  if (!audio_result.ok()) {
    throw UsageError(std::string(audio_result.status().message()));
  }
  const bool json = client.globals().json;
  std::string out_json = absl::StrFormat(
      R"({"space":%s,"pairs":%d,"covered":%d,"coverage":%.6f,"spearman":%s)",
      JsonQuote(space), audio_result->num_pairs, audio_result->num_covered,
      audio_result->coverage,
      audio_result->spearman ? absl::StrFormat("%.6f", *audio_result->spearman)
                             : "null");
  if (!json) {
    std::printf(
        "audio (space %s): spearman %s on %lld of %lld pairs "
        "(coverage %.3f)\n",
        space.c_str(), RhoText(audio_result->spearman).c_str(),
        static_cast<long long>(audio_result->num_covered),
        static_cast<long long>(audio_result->num_pairs),
        audio_result->coverage);
  }
  if (args.Has("text-vectors")) {
    auto text = WordVectors::ReadWord2VecTextFile(args.Get("text-vectors"));
    if (!text.ok()) throw UsageError(std::string(text.status().message()));
    const std::string kind_name = args.Get("fusion", "middle");
    FusionKind kind;
    if (kind_name == "middle") {
      kind = FusionKind::kMiddle;
    } else if (kind_name == "late") {
      kind = FusionKind::kLate;
    } else {
      throw UsageError("--fusion is middle or late");
    }
    auto text_result = EvaluateWordSimilarity(*pairs, LookupIn(*text));
    if (!text_result.ok()) {
      throw UsageError(std::string(text_result.status().message()));
    }
    if (!json) {
      std::printf("text: spearman %s on %lld of %lld pairs (coverage %.3f)\n",
                  RhoText(text_result->spearman).c_str(),
                  static_cast<long long>(text_result->num_covered),
                  static_cast<long long>(text_result->num_pairs),
                  text_result->coverage);
    }
    absl::StrAppend(
        &out_json,
        absl::StrFormat(R"(,"text":{"covered":%d,"spearman":%s})",
                        text_result->num_covered,
                        text_result->spearman
                            ? absl::StrFormat("%.6f", *text_result->spearman)
                            : "null"));
    if (args.Has("alpha")) {
      double alpha = 0;
      if (!absl::SimpleAtod(args.Get("alpha"), &alpha) || alpha < 0 ||
          alpha > 1) {
        throw UsageError("--alpha needs a number in [0, 1]");
      }
      auto fused = EvaluateFusion(*pairs, LookupIn(*text), LookupIn(*audio),
                                  kind, alpha);
      if (!fused.ok()) throw UsageError(std::string(fused.status().message()));
      if (!json) {
        std::printf(
            "%s fusion, alpha %.3f: spearman %s on %lld of %lld pairs "
            "(coverage %.3f)\n",
            kind_name.c_str(), alpha, RhoText(fused->spearman).c_str(),
            static_cast<long long>(fused->num_covered),
            static_cast<long long>(fused->num_pairs), fused->coverage);
      }
      absl::StrAppend(
          &out_json,
          absl::StrFormat(
              R"(,"fusion":{"kind":"%s","alpha":%.6f,"covered":%d,"spearman":%s})",
              kind_name, alpha, fused->num_covered,
              fused->spearman ? absl::StrFormat("%.6f", *fused->spearman)
                              : "null"));
    } else {  // --cv (the default with --text-vectors)
      FusionCrossValidationOptions cv;
      cv.kind = kind;
      auto fused =
          CrossValidateFusion(*pairs, LookupIn(*text), LookupIn(*audio), cv);
      if (!fused.ok()) {
        std::fprintf(stderr, "soundsearch: fusion: %s\n",
                     std::string(fused.status().message()).c_str());
        return kExitServerError;
      }
      if (!json) {
        std::printf(
            "%s fusion, 5-fold CV: spearman %.4f (Fisher mean) on %lld "
            "of %lld pairs (coverage %.3f); alphas %s\n",
            kind_name.c_str(), fused->spearman,
            static_cast<long long>(fused->num_covered),
            static_cast<long long>(fused->num_pairs), fused->coverage,
            absl::StrJoin(fused->fold_alpha, ",",
                          [](std::string* out, double a) {
                            absl::StrAppend(out, absl::StrFormat("%.2f", a));
                          })
                .c_str());
      }
      absl::StrAppend(
          &out_json,
          absl::StrFormat(
              R"(,"fusion":{"kind":"%s","cv_folds":%d,"covered":%d,"spearman":%.6f,"fold_alpha":[%s]})",
              kind_name, static_cast<int>(fused->fold_alpha.size()),
              fused->num_covered, fused->spearman,
              absl::StrJoin(fused->fold_alpha, ",")));
    }
  }
  if (json) std::printf("%s}\n", out_json.c_str());
  return kExitOk;
}

int CmdCategorise(Client& client, const Args& args) {
  const std::vector<std::string> words = SplitCsvList(args.Get("words"));
  const std::vector<std::string> categories =
      SplitCsvList(args.Get("categories"));
  if (words.empty() || words.size() != categories.size()) {
    throw UsageError("--words and --categories need one category per word");
  }
  int clusters = 0;
  if (!absl::SimpleAtoi(args.Get("clusters"), &clusters) || clusters < 1) {
    throw UsageError("--clusters needs a positive integer");
  }
  std::optional<WordVectors> audio;
  std::string space;
  grpc::Status status =
      FetchWordVectors(client, args.Get("space"), words, &audio, &space);
  if (!status.ok()) return Fail(status);
  std::vector<float> rows;
  std::vector<std::string> kept_categories;
  std::vector<std::string> kept_words;
  for (size_t i = 0; i < words.size(); ++i) {
    auto v = audio.has_value() ? audio->Find(words[i]) : std::nullopt;
    if (!v.has_value()) continue;
    rows.insert(rows.end(), v->begin(), v->end());
    kept_words.push_back(words[i]);
    kept_categories.push_back(categories[i]);
  }
  if (static_cast<int>(kept_words.size()) < clusters) {
    std::fprintf(stderr,
                 "soundsearch: %zu of %zu words have vectors; fewer than "
                 "--clusters %d\n",
                 kept_words.size(), words.size(), clusters);
    return kExitServerError;
  }
  KMeansOptions kmeans;
  kmeans.num_clusters = clusters;
  auto assigned = KMeansClusters(rows, audio->dim(), kmeans);
  if (!assigned.ok())
    throw UsageError(std::string(assigned.status().message()));
  auto v = ComputeVMeasure(kept_categories, *assigned);
  if (!v.ok()) throw UsageError(std::string(v.status().message()));
  if (client.globals().json) {
    std::string clusters_json;
    for (size_t i = 0; i < kept_words.size(); ++i) {
      absl::StrAppend(
          &clusters_json, i ? "," : "",
          absl::StrFormat(R"({"word":%s,"cluster":%d})",
                          JsonQuote(kept_words[i]), (*assigned)[i]));
    }
    absl::PrintF(
        R"({"space":%s,"words":%d,"covered":%d,"homogeneity":%.6f,"completeness":%.6f,"v_measure":%.6f,"clusters":[%s]})"
        "\n",
        JsonQuote(space), static_cast<int>(words.size()),
        static_cast<int>(kept_words.size()), v->homogeneity, v->completeness,
        v->v_measure, clusters_json);
    return kExitOk;
  }
  std::printf("space %s: %zu of %zu words covered\n", space.c_str(),
              kept_words.size(), words.size());
  for (size_t i = 0; i < kept_words.size(); ++i) {
    std::printf("  cluster %d  %s (%s)\n", (*assigned)[i],
                kept_words[i].c_str(), kept_categories[i].c_str());
  }
  std::printf("V-measure %.4f  (homogeneity %.4f, completeness %.4f)\n",
              v->v_measure, v->homogeneity, v->completeness);
  return kExitOk;
}

int Main(const std::vector<std::string>& argv) {
  Globals globals;
  if (const char* token = std::getenv("SOUNDSEARCH_TOKEN")) globals.token = token;
  // Global flags come before the command.
  size_t i = 1;
  for (; i < argv.size() && argv[i].rfind("--", 0) == 0; ++i) {
    const std::string flag = argv[i].substr(2);
    if (flag == "json") {
      globals.json = true;
      continue;
    }
    if (i + 1 >= argv.size()) throw UsageError("--" + flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "server") {
      globals.server = value;
    } else if (flag == "token-file") {
      auto token = ReadFile(value);
      if (!token) throw UsageError("cannot read --token-file " + value);
      globals.token = std::string(absl::StripAsciiWhitespace(*token));
    } else if (flag == "tls-ca") {
      globals.tls_ca = value;
    } else if (flag == "timeout") {
      if (!absl::SimpleAtod(value, &globals.timeout_seconds) ||
          globals.timeout_seconds <= 0) {
        throw UsageError("--timeout needs a positive number of seconds");
      }
    } else {
      throw UsageError("unknown global flag --" + flag);
    }
  }
  if (i >= argv.size() || argv[i] == "help" || argv[i] == "--help") {
    std::fputs(kUsage, i >= argv.size() ? stderr : stdout);
    return i >= argv.size() ? kExitUsage : kExitOk;
  }
  const std::string command = argv[i];
  Args args = ParseArgs(argv, i + 1);
  if (args.Has("json")) globals.json = true;
  Client client(globals);
  if (command == "add") return CmdAdd(client, args);
  if (command == "index") return CmdIndex(client, args);
  if (command == "query") return CmdQuery(client, args);
  if (command == "get") return CmdGet(client, args);
  if (command == "delete") return CmdDelete(client, args);
  if (command == "stats") return CmdStats(client);
  if (command == "spaces") return CmdSpaces(client);
  if (command == "refit") return CmdRefit(client, args);
  if (command == "evaluate") return CmdEvaluate(client, args);
  if (command == "word-sim") return CmdWordSim(client, args);
  if (command == "nearest-words") return CmdNearestWords(client, args);
  if (command == "word-eval") return CmdWordEval(client, args);
  if (command == "categorise" || command == "categorize") {
    return CmdCategorise(client, args);
  }
  throw UsageError("unknown command '" + command + "'");
}

}  // namespace
}  // namespace soundsearch

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  try {
    return soundsearch::Main(args);
  } catch (const soundsearch::UsageError& e) {
    std::fprintf(stderr, "soundsearch: %s\n(see `soundsearch help`)\n", e.what());
    return soundsearch::kExitUsage;
  }
}
