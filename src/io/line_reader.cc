#include "io/line_reader.h"

#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

namespace gtops {
namespace {

constexpr size_t kChunk = 1u << 20;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

class FileSource : public ByteSource {
 public:
  FileSource(FILE* f, std::string path) : f_(f), path_(std::move(path)) {}
  ~FileSource() override { std::fclose(f_); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  Result<size_t> Read(char* buf, size_t n) override {
    size_t got = std::fread(buf, 1, n, f_);
    if (got < n && std::ferror(f_)) {
      return Status::BadInput(fmt::format("{}: read error: {}", path_, std::strerror(errno)));
    }
    return got;
  }

 private:
  FILE* f_;
  std::string path_;
};

// gzip (also several concatenated members, as `cat a.gz b.gz` makes).
class GzipSource : public ByteSource {
 public:
  GzipSource(std::unique_ptr<ByteSource> raw, std::string path)
      : raw_(std::move(raw)), path_(std::move(path)), in_(new char[kChunk]) {
    std::memset(&zs_, 0, sizeof zs_);
    ok_ = inflateInit2(&zs_, 15 + 32) == Z_OK;
  }
  ~GzipSource() override { inflateEnd(&zs_); }
  GzipSource(const GzipSource&) = delete;
  GzipSource& operator=(const GzipSource&) = delete;

  Result<size_t> Read(char* buf, size_t n) override {
    if (!ok_) return Status::BadInput(fmt::format("{}: cannot start gzip decoder", path_));
    if (!error_.ok()) return error_;
    zs_.next_out = reinterpret_cast<Bytef*>(buf);
    zs_.avail_out = static_cast<uInt>(n);
    // The bytes decoded before a failure are handed out first; the failure comes with the next call.
    auto fail = [&](Status s) -> Result<size_t> {
      error_ = std::move(s);
      if (zs_.avail_out < n) return n - zs_.avail_out;
      return error_;
    };
    while (zs_.avail_out > 0) {
      if (zs_.avail_in == 0 && !raw_eof_) {
        auto got = raw_->Read(in_.get(), kChunk);
        if (!got.ok()) return fail(got.status());
        if (*got == 0) {
          raw_eof_ = true;
        } else {
          zs_.next_in = reinterpret_cast<Bytef*>(in_.get());
          zs_.avail_in = static_cast<uInt>(*got);
        }
      }
      if (zs_.avail_in == 0 && raw_eof_) {
        if (in_member_) {
          return fail(Status::BadInput(
              fmt::format("{}: gzip stream is truncated (the file ends inside compressed data)", path_)));
        }
        break;
      }
      int rc = inflate(&zs_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        in_member_ = false;
        inflateReset(&zs_);
        continue;
      }
      if (rc == Z_BUF_ERROR) continue;  // needs more input
      if (rc != Z_OK) {
        return fail(Status::BadInput(fmt::format("{}: corrupt gzip data ({})", path_,
                                                 zs_.msg ? zs_.msg : "inflate failed")));
      }
      in_member_ = true;
    }
    return n - zs_.avail_out;
  }

 private:
  std::unique_ptr<ByteSource> raw_;
  std::string path_;
  std::unique_ptr<char[]> in_;
  z_stream zs_;
  Status error_;  // once the stream has failed, every later Read fails the same way
  bool ok_ = false;
  bool raw_eof_ = false;
  bool in_member_ = false;
};

class ZstdSource : public ByteSource {
 public:
  ZstdSource(std::unique_ptr<ByteSource> raw, std::string path)
      : raw_(std::move(raw)), path_(std::move(path)), inbuf_(new char[kChunk]),
        ds_(ZSTD_createDStream()) {}
  ~ZstdSource() override { ZSTD_freeDStream(ds_); }
  ZstdSource(const ZstdSource&) = delete;
  ZstdSource& operator=(const ZstdSource&) = delete;

  Result<size_t> Read(char* buf, size_t n) override {
    if (ds_ == nullptr) return Status::BadInput(fmt::format("{}: cannot start zstd decoder", path_));
    if (!error_.ok()) return error_;
    ZSTD_outBuffer out{buf, n, 0};
    // The bytes decoded before a failure are handed out first; the failure comes with the next call.
    auto fail = [&](Status s) -> Result<size_t> {
      error_ = std::move(s);
      if (out.pos > 0) return out.pos;
      return error_;
    };
    while (out.pos < out.size) {
      if (in_.pos == in_.size && !raw_eof_) {
        auto got = raw_->Read(inbuf_.get(), kChunk);
        if (!got.ok()) return fail(got.status());
        if (*got == 0) {
          raw_eof_ = true;
        } else {
          in_ = ZSTD_inBuffer{inbuf_.get(), *got, 0};
        }
      }
      if (in_.pos == in_.size && raw_eof_) {
        if (pending_ != 0) {
          return fail(Status::BadInput(
              fmt::format("{}: zstd stream is truncated (the file ends inside a frame)", path_)));
        }
        break;
      }
      size_t rc = ZSTD_decompressStream(ds_, &out, &in_);
      if (ZSTD_isError(rc)) {
        return fail(Status::BadInput(
            fmt::format("{}: corrupt zstd data ({})", path_, ZSTD_getErrorName(rc))));
      }
      pending_ = rc;
    }
    return out.pos;
  }

 private:
  std::unique_ptr<ByteSource> raw_;
  std::string path_;
  std::unique_ptr<char[]> inbuf_;
  ZSTD_inBuffer in_{nullptr, 0, 0};
  ZSTD_DStream* ds_;
  Status error_;  // once the stream has failed, every later Read fails the same way
  size_t pending_ = 0;  // what ZSTD_decompressStream last asked for: 0 at the end of a frame
  bool raw_eof_ = false;
};

class MemorySource : public ByteSource {
 public:
  explicit MemorySource(std::string_view bytes) : bytes_(bytes) {}
  Result<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min(n, bytes_.size() - pos_);
    std::memcpy(buf, bytes_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string bytes_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::unique_ptr<ByteSource>> OpenByteSource(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return Status::NotFound(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  std::unique_ptr<ByteSource> raw = std::make_unique<FileSource>(f, path);
  if (EndsWith(path, ".gz")) return std::unique_ptr<ByteSource>(new GzipSource(std::move(raw), path));
  if (EndsWith(path, ".zst")) return std::unique_ptr<ByteSource>(new ZstdSource(std::move(raw), path));
  return raw;
}

std::unique_ptr<ByteSource> MemoryByteSource(std::string_view bytes) {
  return std::make_unique<MemorySource>(bytes);
}

LineReader::LineReader(std::unique_ptr<ByteSource> source, size_t max_line_bytes)
    : source_(std::move(source)), max_line_bytes_(max_line_bytes) {
  cap_ = kChunk;
  buf_.reset(new char[cap_ + kLinePadding]);
}

bool LineReader::Fill() {
  if (eof_ || failed_) return false;
  if (begin_ > 0) {  // move the partial line to the front
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ + kChunk / 4 > cap_) {  // grow: the partial line fills the buffer
    size_t ncap = cap_ * 2;
    std::unique_ptr<char[]> nbuf(new char[ncap + kLinePadding]);
    std::memcpy(nbuf.get(), buf_.get(), end_);
    buf_ = std::move(nbuf);
    cap_ = ncap;
  }
  auto got = source_->Read(buf_.get() + end_, cap_ - end_);
  if (!got.ok()) {
    failed_ = true;
    stream_error_ = got.status();
    return false;
  }
  if (*got == 0) {
    eof_ = true;
    return false;
  }
  end_ += *got;
  bytes_read_ += *got;
  return true;
}

LineReader::Next LineReader::Read(Line& line) {
  for (;;) {
    const char* start = buf_.get() + begin_;
    const void* nl = std::memchr(start, '\n', end_ - begin_);
    if (nl != nullptr) {
      const char* stop = static_cast<const char*>(nl);
      size_t len = static_cast<size_t>(stop - start);
      begin_ += len + 1;
      ++line_no_;
      if (len > 0 && start[len - 1] == '\r') --len;
      if (skipping_ || len > max_line_bytes_) {  // also a long line that fits in the buffer
        skipping_ = false;
        line = Line{{}, 0, line_no_};
        return Next::kTooLong;
      }
      // The bytes after the line (the rest of the buffer and its padding) are readable.
      line = Line{std::string_view(start, len),
                  static_cast<size_t>(buf_.get() + cap_ + kLinePadding - start), line_no_};
      return Next::kLine;
    }
    // No newline in the buffer: the line continues beyond it.
    if (skipping_ || end_ - begin_ > max_line_bytes_) {
      skipping_ = true;
      begin_ = end_;  // drop what we have of the too-long line
    }
    if (!Fill()) {
      if (failed_) {
        ++line_no_;
        line = Line{std::string_view(buf_.get() + begin_, skipping_ ? 0 : end_ - begin_), 0, line_no_};
        line.capacity = static_cast<size_t>(buf_.get() + cap_ + kLinePadding - line.text.data());
        begin_ = end_;
        failed_ = false;  // reported once; later calls find the end
        eof_ = true;
        skipping_ = false;
        return Next::kStreamError;
      }
      // End of input: a last line without '\n' is still a line.
      if (begin_ < end_ || skipping_) {
        ++line_no_;
        if (skipping_) {
          skipping_ = false;
          begin_ = end_;
          line = Line{{}, 0, line_no_};
          return Next::kTooLong;
        }
        size_t len = end_ - begin_;
        const char* s = buf_.get() + begin_;
        begin_ = end_;
        if (len > 0 && s[len - 1] == '\r') --len;
        if (len > max_line_bytes_) {
          line = Line{{}, 0, line_no_};
          return Next::kTooLong;
        }
        line = Line{std::string_view(s, len), 0, line_no_};
        line.capacity = static_cast<size_t>(buf_.get() + cap_ + kLinePadding - s);
        return Next::kLine;
      }
      return Next::kEnd;
    }
  }
}

}  // namespace gtops
