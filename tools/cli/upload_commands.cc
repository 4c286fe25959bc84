// `add` and `index`: one file, or every audio file of a folder or a
// manifest, several in flight, with a progress bar and a summary.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "soundsearch/manifest.h"
#include "soundsearch/text.h"
#include "tools/cli/commands.h"
#include "tools/cli/progress_bar.h"

namespace soundsearch::cli {

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
  // File names are bytes: a name that is not UTF-8 is sent escaped (text.h).
  fields.set_name(args.Get(
      "name", EscapeFileName(std::filesystem::path(path).stem().string())));
  for (const auto& t : SplitCsvList(args.Get("tags"))) fields.add_tags(t);
  for (const auto& l : SplitCsvList(args.Get("labels"))) fields.add_labels(l);
  v1::AddSoundResponse response;
  grpc::Status status = client.AddBytes(
      *bytes, fields,
      EscapeFileName(std::filesystem::path(path).filename().string()),
      &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
  } else {
    std::printf("%s id %llu\n",
                response.duplicate() ? "duplicate of" : "stored",
                static_cast<unsigned long long>(response.id()));
  }
  return kExitOk;
}

namespace {

bool IsAudioFile(const std::filesystem::path& path) {
  static const char* kExtensions[] = {".wav", ".wave", ".flac", ".mp3",  ".ogg",
                                      ".oga", ".opus", ".m4a",  ".mp4",  ".aac",
                                      ".aif", ".aiff", ".aifc", ".webm", ".mka",
                                      ".caf", ".wma",  ".au",   ".snd"};
  std::string ext = absl::AsciiStrToLower(path.extension().string());
  for (const char* e : kExtensions) {
    if (ext == e) return true;
  }
  return false;
}

// The files of `index` and `previews backfill`: the rows of --manifest (with
// --audio-dir, --encoding) or every audio file under the DIR given as the
// last of `positional` positional arguments, and the folder they are
// relative to. False (a message printed) when they cannot be listed.
bool ListFiles(const Args& args, const char* command, size_t positional,
               std::vector<ManifestRow>* rows, std::filesystem::path* base) {
  if (args.Has("encoding") && !args.Has("manifest")) {
    throw UsageError(
        absl::StrCat(command, ": --encoding goes with --manifest"));
  }
  if (args.Has("manifest")) {
    auto encoding = ParseTextEncoding(args.Get("encoding"));
    if (!encoding.ok()) {
      throw UsageError(
          absl::StrCat(command, ": --encoding: ", encoding.status().message()));
    }
    ManifestOptions manifest_options;
    manifest_options.encoding = *encoding;
    auto parsed = ReadManifest(args.Get("manifest"), manifest_options);
    if (!parsed.ok()) {
      std::fprintf(stderr, "soundsearch: %s\n",
                   std::string(parsed.status().message()).c_str());
      return false;
    }
    *rows = *std::move(parsed);
    *base = args.Has("audio-dir")
                ? std::filesystem::path(args.Get("audio-dir"))
                : std::filesystem::path(args.Get("manifest")).parent_path();
  } else {
    if (args.positional.size() != positional) {
      throw UsageError(absl::StrCat(command, ": give DIR or --manifest CSV"));
    }
    *base = args.positional[args.positional.size() - 1];
    std::error_code ec;
    if (!std::filesystem::is_directory(*base, ec)) {
      std::fprintf(stderr, "soundsearch: %s is not a directory\n",
                   base->string().c_str());
      return false;
    }
    for (auto it = std::filesystem::recursive_directory_iterator(*base, ec);
         !ec && it != std::filesystem::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_regular_file() && IsAudioFile(it->path())) {
        ManifestRow row;
        row.fname = std::filesystem::relative(it->path(), *base).string();
        rows->push_back(std::move(row));
      }
    }
    std::sort(rows->begin(), rows->end(),
              [](const ManifestRow& a, const ManifestRow& b) {
                return a.fname < b.fname;
              });
  }
  return true;
}

// The path of `row`'s file: a transcoded manifest names the file in UTF-8;
// on disk it may still carry the manifest's own bytes.
std::string FileOnDisk(const ManifestRow& row,
                       const std::filesystem::path& base) {
  std::error_code ec;
  if (!row.fname_in_manifest.empty() &&
      !std::filesystem::exists(base / row.fname, ec) &&
      std::filesystem::exists(base / row.fname_in_manifest, ec)) {
    return row.fname_in_manifest;
  }
  return row.fname;
}

int ParseJobs(const Args& args) {
  int jobs = 4;
  if (args.Has("jobs") &&
      (!absl::SimpleAtoi(args.Get("jobs"), &jobs) || jobs < 1 || jobs > 64)) {
    throw UsageError("--jobs must be in [1, 64]");
  }
  return jobs;
}

// One failed row of `index` or `previews backfill`.
struct RowFailure {
  std::string file, code, message;
};

// The failure of `row` (folder rows carry the file's bytes, escaped here;
// manifest rows are UTF-8).
RowFailure FailureOf(const ManifestRow& row, const grpc::Status& status) {
  return {IsValidUtf8(row.fname) ? row.fname : EscapeFileName(row.fname),
          CodeName(status.error_code()), status.error_message()};
}

// OK with the row's file in *bytes, or the status the row fails with: its
// manifest error (INVALID_ARGUMENT) or an unreadable file (NOT_FOUND).
grpc::Status ReadRow(const ManifestRow& row, const std::filesystem::path& path,
                     std::optional<std::string>* bytes) {
  if (!row.error.ok()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        std::string(row.error.message()));
  }
  *bytes = ReadFile(path.string());
  if (!*bytes) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "cannot read " + EscapeFileName(path.string()));
  }
  return grpc::Status::OK;
}

// Runs `call` until it is not refused by a full server queue (transient:
// back off 100 ms, at most 50 tries); an upload too large is final.
template <typename Call>
grpc::Status RetryWhileQueueFull(Call call) {
  grpc::Status status;
  for (int attempt = 0; attempt < 50; ++attempt) {
    status = call();
    if (status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED ||
        IsUploadTooLarge(status)) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return status;
}

// `"failures":[...]` entries as JSON (protobuf's string escaping), then
// the closing brackets.
void PrintFailuresJson(std::string out,
                       const std::vector<RowFailure>& failures) {
  for (size_t i = 0; i < failures.size(); ++i) {
    v1::JobFailure f;
    f.set_fname(failures[i].file);
    f.set_code(failures[i].code);
    f.set_message(failures[i].message);
    absl::StrAppend(&out, i ? "," : "", ToJson(f));
  }
  std::printf("%s]}\n", out.c_str());
}

void PrintFailures(const std::vector<RowFailure>& failures) {
  for (const RowFailure& f : failures) {
    std::printf("  failed %s: %s: %s\n", f.file.c_str(), f.code.c_str(),
                f.message.c_str());
  }
}

}  // namespace

int CmdIndex(Client& client, const Args& args) {
  std::vector<ManifestRow> rows;
  std::filesystem::path base;
  if (!ListFiles(args, "index", 1, &rows, &base)) return kExitUsage;
  const int jobs = ParseJobs(args);

  std::mutex mu;
  std::vector<RowFailure> failures;
  int64_t stored = 0, duplicates = 0, done = 0;
  bool unreachable = false;
  std::atomic<size_t> next{0};
  const bool terminal = !client.globals().json && isatty(fileno(stderr));
  ProgressBar progress(static_cast<int64_t>(rows.size()), stderr, terminal);
  const auto start = std::chrono::steady_clock::now();

  auto worker = [&] {
    for (size_t i = next++; i < rows.size(); i = next++) {
      const ManifestRow& row = rows[i];
      const std::string on_disk = FileOnDisk(row, base);
      const std::filesystem::path path = base / on_disk;
      v1::AddSoundResponse response;
      std::optional<std::string> bytes;
      grpc::Status status = ReadRow(row, path, &bytes);
      if (status.ok()) {
        v1::SoundFields fields;
        fields.set_external_id(row.external_id);
        fields.set_name(
            row.name.empty()
                ? EscapeFileName(
                      std::filesystem::path(row.fname).stem().string())
                : row.name);
        for (const auto& t : row.tags) fields.add_tags(t);
        for (const auto& l : row.labels) fields.add_labels(l);
        status = RetryWhileQueueFull([&] {
          return client.AddBytes(*bytes, fields, EscapeFileName(on_disk),
                                 &response);
        });
      }
      std::lock_guard<std::mutex> lock(mu);
      ++done;
      if (status.ok()) {
        (response.duplicate() ? duplicates : stored)++;
      } else {
        if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
          unreachable = true;
        }
        failures.push_back(FailureOf(row, status));
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
    PrintFailuresJson(std::move(out), failures);
  } else {
    std::printf(
        "indexed %zu files in %.1fs: %lld stored, %lld duplicate, "
        "%zu failed\n",
        rows.size(), seconds, static_cast<long long>(stored),
        static_cast<long long>(duplicates), failures.size());
    PrintFailures(failures);
  }
  if (unreachable && stored + duplicates == 0) return kExitUnreachable;
  return failures.empty() ? kExitOk : kExitServerError;
}

int CmdPreviews(Client& client, const Args& args) {
  if (args.positional.empty() || args.positional[0] != "backfill") {
    throw UsageError("previews: give backfill DIR or backfill --manifest CSV");
  }
  std::vector<ManifestRow> rows;
  std::filesystem::path base;
  if (!ListFiles(args, "previews backfill", 2, &rows, &base)) {
    return kExitUsage;
  }
  const int jobs = ParseJobs(args);
  const bool replace = args.Has("replace");

  std::mutex mu;
  std::vector<RowFailure> failures;
  int64_t added = 0, skipped = 0, done = 0;
  uint64_t bytes_added = 0;
  bool unreachable = false;
  std::atomic<size_t> next{0};
  const bool terminal = !client.globals().json && isatty(fileno(stderr));
  ProgressBar progress(static_cast<int64_t>(rows.size()), stderr, terminal);
  const auto start = std::chrono::steady_clock::now();

  auto worker = [&] {
    for (size_t i = next++; i < rows.size(); i = next++) {
      const ManifestRow& row = rows[i];
      const std::filesystem::path path = base / FileOnDisk(row, base);
      v1::AddPreviewResponse response;
      std::optional<std::string> bytes;
      grpc::Status status = ReadRow(row, path, &bytes);
      if (status.ok()) {
        v1::AddPreviewRequest request;
        request.set_audio(*std::move(bytes));
        // With an external id the file may have been re-encoded since;
        // without one the server finds the sound by the bytes' hash.
        if (!row.external_id.empty()) {
          request.mutable_sound()->set_external_id(row.external_id);
        }
        request.set_replace(replace);
        status = RetryWhileQueueFull([&] {
          auto ctx = client.Context();
          return client.ingest().AddPreview(ctx.get(), request, &response);
        });
      }
      std::lock_guard<std::mutex> lock(mu);
      ++done;
      if (status.ok()) {
        if (response.skipped()) {
          ++skipped;
        } else {
          ++added;
          bytes_added += response.bytes();
        }
      } else {
        if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
          unreachable = true;
        }
        failures.push_back(FailureOf(row, status));
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
    std::string out =
        absl::StrCat("{\"total\":", rows.size(), ",\"added\":", added,
                     ",\"skipped\":", skipped, ",\"failed\":", failures.size(),
                     ",\"bytes\":", bytes_added, ",\"seconds\":", seconds,
                     ",\"failures\":[");
    PrintFailuresJson(std::move(out), failures);
  } else {
    std::printf(
        "previews for %zu files in %.1fs: %lld added (%llu bytes), %lld "
        "skipped (had one), %zu failed\n",
        rows.size(), seconds, static_cast<long long>(added),
        static_cast<unsigned long long>(bytes_added),
        static_cast<long long>(skipped), failures.size());
    PrintFailures(failures);
  }
  if (unreachable && added + skipped == 0) return kExitUnreachable;
  return failures.empty() ? kExitOk : kExitServerError;
}

}  // namespace soundsearch::cli
