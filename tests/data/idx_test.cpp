// The IDX reader and the Fashion-MNIST loader on small files this test writes
// itself, plain and gzip-compressed, and on damaged copies: truncated, bad
// magic, trailing bytes, mismatched counts, bad labels, corrupt gzip. Every
// error message must name the file and the problem. Hostile input is rejected
// in bounded time and memory: a gzip bomb, /dev/zero, an endless pipe.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "ein/data/fashion_mnist.hpp"
#include "ein/data/idx.hpp"

namespace fs = std::filesystem;
using ein::data::data_error;
using Bytes = std::vector<std::uint8_t>;

namespace {

void put_u32(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}

/// u8 images [n, rows, cols] with pixel (k) = (k * 7 + seed) % 256.
Bytes idx_images(std::uint32_t n, std::uint32_t rows, std::uint32_t cols, int seed = 0) {
  Bytes b;
  put_u32(b, 0x00000803);
  put_u32(b, n);
  put_u32(b, rows);
  put_u32(b, cols);
  for (std::uint32_t k = 0; k < n * rows * cols; ++k) b.push_back(static_cast<std::uint8_t>((k * 7 + seed) % 256));
  return b;
}

/// u8 labels [n], label i = i % classes.
Bytes idx_labels(std::uint32_t n, int classes = 10) {
  Bytes b;
  put_u32(b, 0x00000801);
  put_u32(b, n);
  for (std::uint32_t i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(i % classes));
  return b;
}

Bytes gzip(const Bytes& plain) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);  // +16: gzip wrapper
  Bytes out(deflateBound(&z, plain.size()) + 64);
  z.next_in = const_cast<Bytes::value_type*>(plain.data());
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

/// A gzip bomb: one valid gzip stream (CRC and length right) of `idx`
/// followed by `zero_mib` (2 or more) MiB of zeros, about 1 KB per MiB. Cheap to make: one
/// MiB of zeros is deflated once after a full flush, which resets the
/// compressor, so every further MiB is the same bytes, appended.
Bytes gzip_bomb(const Bytes& idx, std::size_t zero_mib) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) == Z_OK);
  Bytes out;
  auto put = [&](const std::uint8_t* in, std::size_t n, int flush) {
    Bytes buf(deflateBound(&z, n) + 64);
    z.next_in = const_cast<std::uint8_t*>(in);
    z.avail_in = static_cast<uInt>(n);
    z.next_out = buf.data();
    z.avail_out = static_cast<uInt>(buf.size());
    REQUIRE(deflate(&z, flush) == (flush == Z_FINISH ? Z_STREAM_END : Z_OK));
    REQUIRE(z.avail_in == 0);
    buf.resize(buf.size() - z.avail_out);
    out.insert(out.end(), buf.begin(), buf.end());
    return buf;
  };
  const Bytes mib(std::size_t{1} << 20, 0);
  put(idx.data(), idx.size(), Z_FULL_FLUSH);
  const Bytes block = put(mib.data(), mib.size(), Z_FULL_FLUSH);
  REQUIRE(put(mib.data(), mib.size(), Z_FULL_FLUSH) == block);  // the compressor did reset
  for (std::size_t k = 2; k < zero_mib; ++k) out.insert(out.end(), block.begin(), block.end());
  put(nullptr, 0, Z_FINISH);
  deflateEnd(&z);
  // The trailer zlib wrote counts the first two MiB; the stream holds zero_mib.
  uLong crc = crc32(0L, idx.data(), static_cast<uInt>(idx.size()));
  const uLong crc_mib = crc32(0L, mib.data(), static_cast<uInt>(mib.size()));
  for (std::size_t k = 0; k < zero_mib; ++k) crc = crc32_combine(crc, crc_mib, static_cast<z_off_t>(mib.size()));
  const std::uint64_t length = idx.size() + (std::uint64_t{zero_mib} << 20);
  for (int i = 0; i < 4; ++i) {
    out[out.size() - 8 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
    out[out.size() - 4 + i] = static_cast<std::uint8_t>(length >> (8 * i));
  }
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// A fresh folder under the system's temporary folder, removed at the end.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / ("ein_data_test_" + std::to_string(::getpid()) + "_" + name)) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  fs::path write(const std::string& name, const Bytes& bytes) const {
    const fs::path p = path / name;
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                             static_cast<std::streamsize>(bytes.size()));
    return p;
  }
};

/// The message of the data_error that f throws (fails the test when none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const data_error& e) {
    return e.what();
  }
  FAIL("no ein::data::data_error thrown");
  return {};
}

/// Checks that loading `file` throws a data_error naming the file and containing `problem`.
void check_rejects(const fs::path& file, const std::string& problem, bool labels = false) {
  const std::string what = error_of([&] {
    if (labels)
      (void)ein::data::read_idx_labels(file);
    else
      (void)ein::data::read_idx_images(file);
  });
  INFO("message: ", what);
  CHECK(what.find(file.string()) != std::string::npos);
  CHECK(what.find(problem) != std::string::npos);
}

}  // namespace

TEST_CASE("IDX images and labels read back, plain and gzip") {
  TempDir dir("roundtrip");
  const Bytes images = idx_images(3, 4, 5, 11);
  const Bytes labels = idx_labels(3);
  for (bool compressed : {false, true}) {
    CAPTURE(compressed);
    const std::string ext = compressed ? ".gz" : "";
    const fs::path ip = dir.write("images" + ext, compressed ? gzip(images) : images);
    const fs::path lp = dir.write("labels" + ext, compressed ? gzip(labels) : labels);

    const ein::Tensor<std::uint8_t, 3> im = ein::data::read_idx_images(ip);
    CHECK(im.extents() == ein::Extents<3>{3, 4, 5});
    for (ein::index_t k = 0; k < im.size(); ++k) REQUIRE(int(im.data()[k]) == int((k * 7 + 11) % 256));

    const ein::Tensor<std::uint8_t, 1> lb = ein::data::read_idx_labels(lp);
    CHECK(lb.extents() == ein::Extents<1>{3});
    CHECK(int(lb(2)) == 2);

    const ein::data::IdxArray raw = ein::data::read_idx(ip);
    CHECK(raw.type == ein::data::IdxType::u8);
    CHECK(raw.extents == std::vector<ein::index_t>{3, 4, 5});
    CHECK(raw.elements().size() == 60);
    CHECK(raw.header == 16);

    const ein::data::Split s = ein::data::load_idx_split(ip, lp);
    CHECK(s.size() == 3);
    CHECK(s.images.extents() == ein::Extents<2>{3, 20});
    CHECK(s.images(1, 2) == doctest::Approx(((22 * 7 + 11) % 256) / 255.0));
    CHECK(s.labels == std::vector<int>{0, 1, 2});
  }
}

TEST_CASE("an IDX file with no elements is valid") {
  TempDir dir("empty");
  const fs::path ip = dir.write("images", idx_images(0, 28, 28));
  CHECK(ein::data::read_idx_images(ip).extents() == ein::Extents<3>{0, 28, 28});
}

TEST_CASE("damaged IDX files are rejected with the file and the problem") {
  TempDir dir("damaged");
  const Bytes good = idx_images(2, 3, 3);

  SUBCASE("missing file") { check_rejects(dir.path / "nothing-here", "no such file"); }
  SUBCASE("a folder") { check_rejects(dir.path, "is a directory"); }
  SUBCASE("empty file") { check_rejects(dir.write("empty", {}), "too short for an IDX header"); }
  SUBCASE("truncated data") {
    Bytes b = good;
    b.resize(b.size() - 1);
    check_rejects(dir.write("short", b), "truncated: the header promises 18 bytes of data, the file has 17");
  }
  SUBCASE("truncated header") {
    Bytes b = good;
    b.resize(10);
    check_rejects(dir.write("short-header", b), "truncated header");
  }
  SUBCASE("trailing bytes") {
    Bytes b = good;
    b.push_back(0);
    b.push_back(0);
    check_rejects(dir.write("long", b), "2 bytes after the 18 bytes of data");
  }
  SUBCASE("trailing bytes after gzip data") {
    Bytes b = good;
    b.push_back(0);
    b.push_back(0);
    check_rejects(dir.write("long.gz", gzip(b)), "2 bytes after the 18 bytes of data");
  }
  SUBCASE("bad magic: not an IDX file") {
    Bytes b = good;
    b[0] = 0x89;  // a PNG, say
    check_rejects(dir.write("png", b), "bad magic number 0x89000803");
  }
  SUBCASE("bad magic: unknown element type") {
    Bytes b = good;
    b[2] = 0x07;
    check_rejects(dir.write("type", b), "bad magic number 0x00000703");
  }
  SUBCASE("labels where images are expected, and the other way round") {
    check_rejects(dir.write("labels", idx_labels(4)), "magic number 0x00000801 where images");
    check_rejects(dir.write("images", good), "magic number 0x00000803 where labels", true);
  }
  SUBCASE("images of floats") {
    Bytes b;
    put_u32(b, 0x00000D03);
    for (int d = 0; d < 3; ++d) put_u32(b, 1);
    put_u32(b, 0);  // one f32
    CHECK(ein::data::read_idx(dir.write("f32-ok", b)).type == ein::data::IdxType::f32);
    check_rejects(dir.write("f32", b), "magic number 0x00000D03 where images");
  }
  SUBCASE("extents beyond 2^40 elements") {
    Bytes b;
    put_u32(b, 0x00000803);
    for (int d = 0; d < 3; ++d) put_u32(b, 0xFFFFFFFF);
    check_rejects(dir.write("huge", b), "extents too large (4294967295 at dimension 1)");
  }
  SUBCASE("more data promised than the limit, gzip") {
    Bytes b;
    put_u32(b, 0x00000803);
    put_u32(b, 65536);
    put_u32(b, 65536);
    put_u32(b, 2);  // 8 GiB, nothing of it there
    check_rejects(dir.write("8g.gz", gzip(b)), "the header promises 8589934592 bytes of data, more than the limit");
  }
  SUBCASE("a gzip stream far shorter than its header promises") {
    Bytes b = idx_images(60000, 28, 28);
    b.resize(16 + 1000);
    check_rejects(dir.write("60k.gz", gzip(b)),
                  "truncated: the header promises 47040000 bytes of data, the file has 1000");
  }
  SUBCASE("truncated gzip") {
    Bytes z = gzip(good);
    z.resize(z.size() / 2);
    check_rejects(dir.write("cut.gz", z), "gzip");
  }
  SUBCASE("gzip without its trailer") {
    Bytes z = gzip(good);
    z.resize(z.size() - 8);  // CRC-32 and length gone
    check_rejects(dir.write("no-trailer.gz", z), "gzip");
  }
  SUBCASE("gzip with a wrong CRC") {
    Bytes z = gzip(good);
    z[z.size() - 8] ^= 0xFF;
    check_rejects(dir.write("crc.gz", z), "gzip");
  }
  SUBCASE("gzip with corrupt deflate data") {
    Bytes z = gzip(idx_images(20, 28, 28));
    for (std::size_t k = 12; k < 40; ++k) z[k] = static_cast<std::uint8_t>(0xFF - z[k]);
    check_rejects(dir.write("garbage.gz", z), "gzip");
  }
  SUBCASE("nothing but the gzip magic") { check_rejects(dir.write("magic.gz", {0x1f, 0x8b}), "gzip"); }
  SUBCASE("gzip of a truncated IDX file") {
    Bytes b = good;
    b.resize(b.size() - 5);
    check_rejects(dir.write("short.gz", gzip(b)), "truncated: the header promises 18 bytes");
  }
}

TEST_CASE("read_idx and read_bytes take a limit on the data") {
  TempDir dir("limit");
  const fs::path p = dir.write("labels.gz", gzip(idx_labels(2000)));
  CHECK(ein::data::read_idx(p, 2000).elements().size() == 2000);
  const std::string idx = error_of([&] { (void)ein::data::read_idx(p, 1999); });
  CHECK(idx.find(p.string()) != std::string::npos);
  CHECK(idx.find("the header promises 2000 bytes of data, more than the limit of 1999") != std::string::npos);
  CHECK(ein::data::read_bytes(p, 2008).size() == 2008);
  const std::string bytes = error_of([&] { (void)ein::data::read_bytes(p, 2007); });
  CHECK(bytes.find(p.string()) != std::string::npos);
  CHECK(bytes.find("more than 2007 bytes") != std::string::npos);
}

// Before streaming, the reader inflated everything, then checked the header: a
// 1 MB bomb took 17 s and 3.1 GB before it was rejected.
TEST_CASE("a gzip bomb is rejected after the data its header promises") {
  TempDir dir("bomb");
  const Bytes images = idx_images(10, 28, 28);
  SUBCASE("the bomb is a valid gzip stream") {  // a small one, read whole
    const Bytes b = ein::data::read_bytes(dir.write("small-bomb.gz", gzip_bomb(images, 3)));
    REQUIRE(b.size() == images.size() + 3 * (std::size_t{1} << 20));
    CHECK(std::equal(images.begin(), images.end(), b.begin()));
    CHECK(std::all_of(b.begin() + static_cast<std::ptrdiff_t>(images.size()), b.end(), [](auto v) { return v == 0; }));
  }
  SUBCASE("1 GiB of zeros after 10 images, in 1 MB") {
    const Bytes z = gzip_bomb(images, 1024);
    CHECK(z.size() < (std::size_t{11} << 17));
    const fs::path p = dir.write("bomb.gz", z);
    const auto start = std::chrono::steady_clock::now();
    check_rejects(p, "at least 4096 bytes after the 7840 bytes of data the header promises");
    const double images_s = seconds_since(start);
    const std::string whole = error_of([&] { (void)ein::data::read_bytes(p, std::size_t{1} << 20); });
    CHECK(whole.find("more than 1048576 bytes") != std::string::npos);
    const double total_s = seconds_since(start);
    MESSAGE("bomb of ", z.size(), " bytes rejected by read_idx_images in ", images_s * 1e3,
            " ms; by read_bytes with a 1 MiB limit in ", (total_s - images_s) * 1e3, " ms");
    CHECK(images_s < 0.5);
    CHECK(total_s < 0.5);
  }
}

TEST_CASE("/dev/zero is rejected at its header") {
  const fs::path zero = "/dev/zero";
  if (!fs::exists(zero)) return;
  const auto start = std::chrono::steady_clock::now();
  check_rejects(zero, "bad magic number 0x00000000");
  const std::string whole = error_of([&] { (void)ein::data::read_bytes(zero, std::size_t{1} << 20); });
  CHECK(whole.find("more than 1048576 bytes") != std::string::npos);
  const double s = seconds_since(start);
  MESSAGE("/dev/zero rejected in ", s * 1e3, " ms");
  CHECK(s < 0.5);
}

// A non-regular file has no size to check against: the reader must stop after
// what the header promises. The writer stops at 256 MiB or when the reader is gone.
TEST_CASE("an endless pipe is read no further than its header promises") {
  TempDir dir("fifo");
  const fs::path fifo = dir.path / "labels";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::atomic<std::uint64_t> written{0};
  // Joined on every way out; should the reader fail before opening the pipe,
  // opening it here lets the writer's open return.
  struct Writer {
    fs::path fifo;
    std::thread thread;
    void join() {
      if (!thread.joinable()) return;
      if (const int fd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK); fd >= 0) ::close(fd);
      thread.join();
    }
    ~Writer() { join(); }
  } writer{fifo, std::thread([&] {
             sigset_t pipe;
             sigemptyset(&pipe);
             sigaddset(&pipe, SIGPIPE);
             pthread_sigmask(SIG_BLOCK, &pipe, nullptr);  // a write to a closed pipe fails with EPIPE instead
             const int fd = ::open(fifo.c_str(), O_WRONLY);
             if (fd < 0) return;
             Bytes chunk = idx_labels(1000);
             chunk.resize(std::size_t{1} << 16, 0);
             for (std::uint64_t total = 0; total < (std::uint64_t{1} << 28); total += chunk.size()) {
               if (::write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) break;
               written += chunk.size();
               std::fill(chunk.begin(), chunk.begin() + 1008, 0);
             }
             ::close(fd);
           })};
  const auto start = std::chrono::steady_clock::now();
  check_rejects(fifo, "at least 4096 bytes after the 1000 bytes of data the header promises", true);
  const double s = seconds_since(start);
  writer.join();
  MESSAGE("pipe rejected in ", s * 1e3, " ms after ", written.load(), " bytes were written");
  CHECK(written.load() < (std::uint64_t{8} << 20));
  CHECK(s < 0.5);
}

TEST_CASE("an images file and its labels file must agree") {
  TempDir dir("pairs");
  const fs::path ip = dir.write("images", idx_images(5, 2, 2));
  SUBCASE("counts") {
    const fs::path lp = dir.write("labels", idx_labels(4));
    const std::string what = error_of([&] { (void)ein::data::load_idx_split(ip, lp); });
    CHECK(what.find(ip.string()) != std::string::npos);
    CHECK(what.find(lp.string()) != std::string::npos);
    CHECK(what.find("5 images but 4 labels") != std::string::npos);
  }
  SUBCASE("a label that is not a class") {
    Bytes b = idx_labels(5);
    b.back() = 10;
    const fs::path lp = dir.write("labels", b);
    const std::string what = error_of([&] { (void)ein::data::load_idx_split(ip, lp); });
    CHECK(what.find(lp.string()) != std::string::npos);
    CHECK(what.find("label 10 of example 4 is not a class (expected 0 to 9)") != std::string::npos);
  }
}

TEST_CASE("load_fashion_mnist on a small copy: plain and gzip files, normalisation") {
  TempDir dir("fashion");
  dir.write("train-images-idx3-ubyte.gz", gzip(idx_images(6, 28, 28, 1)));
  dir.write("train-labels-idx1-ubyte", idx_labels(6));
  dir.write("t10k-images-idx3-ubyte", idx_images(4, 28, 28, 2));
  dir.write("t10k-labels-idx1-ubyte.gz", gzip(idx_labels(4)));

  const ein::data::FashionMnist raw = ein::data::load_fashion_mnist(dir.path);
  CHECK(raw.train.images.extents() == ein::Extents<2>{6, 784});
  CHECK(raw.test.images.extents() == ein::Extents<2>{4, 784});
  CHECK(raw.train.labels == std::vector<int>{0, 1, 2, 3, 4, 5});
  CHECK(raw.mean == 0.0f);
  CHECK(raw.std == 1.0f);
  for (ein::index_t k = 0; k < raw.train.images.size(); ++k) {
    REQUIRE(raw.train.images.data()[k] >= 0.0f);
    REQUIRE(raw.train.images.data()[k] <= 1.0f);
  }

  const ein::data::FashionMnist z = ein::data::load_fashion_mnist(dir.path, {.normalize = true});
  double sum = 0, sum_sq = 0;
  const ein::index_t n = z.train.images.size();
  for (ein::index_t k = 0; k < n; ++k) {
    sum += z.train.images.data()[k];
    sum_sq += double(z.train.images.data()[k]) * z.train.images.data()[k];
  }
  CHECK(sum / double(n) == doctest::Approx(0.0).epsilon(1e-4).scale(1));
  CHECK(std::sqrt(sum_sq / double(n)) == doctest::Approx(1.0).epsilon(1e-4));
  CHECK(z.test.images(0, 0) == doctest::Approx((raw.test.images(0, 0) - z.mean) / z.std));
}

TEST_CASE("a missing data set names the package to install") {
  TempDir dir("missing");
  dir.write("train-images-idx3-ubyte.gz", gzip(idx_images(1, 28, 28)));
  const std::string what = error_of([&] { (void)ein::data::load_fashion_mnist(dir.path); });
  CHECK(what.find(dir.path.string()) != std::string::npos);
  CHECK(what.find("missing train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]") !=
        std::string::npos);
  CHECK(what.find("apt-get install dataset-fashion-mnist") != std::string::npos);

  const std::string nowhere = error_of([&] { (void)ein::data::load_fashion_mnist(dir.path / "absent"); });
  CHECK(nowhere.find("missing train-images-idx3-ubyte[.gz]") != std::string::npos);
}

// Registered as its own ctest test, which reports "skipped" (SKIP_REGULAR_EXPRESSION)
// when the Debian package is not installed. EIN_FASHION_MNIST_DIR names another folder.
TEST_CASE("Fashion-MNIST as installed") {
  const char* env = std::getenv("EIN_FASHION_MNIST_DIR");
  const fs::path dir = env ? fs::path(env) : ein::data::default_fashion_mnist_dir;
  if (ein::data::detail::find_idx(dir, "train-images-idx3-ubyte").empty()) {
    MESSAGE("SKIPPED: Fashion-MNIST is not installed in ", dir.string(),
            " (apt-get install dataset-fashion-mnist)");
    return;
  }
  const ein::data::FashionMnist d = ein::data::load_fashion_mnist(dir);
  CHECK(d.train.images.extents() == ein::Extents<2>{60000, 784});
  CHECK(d.test.images.extents() == ein::Extents<2>{10000, 784});
  REQUIRE(d.train.labels.size() == 60000);
  REQUIRE(d.test.labels.size() == 10000);
  // Balanced classes: 6000 of each in train, 1000 in test.
  std::vector<int> train_count(10), test_count(10);
  for (int l : d.train.labels) ++train_count[static_cast<std::size_t>(l)];
  for (int l : d.test.labels) ++test_count[static_cast<std::size_t>(l)];
  CHECK(train_count == std::vector<int>(10, 6000));
  CHECK(test_count == std::vector<int>(10, 1000));
  // Pixel statistics of the training set: mean 0.2860, standard deviation 0.3530.
  const ein::data::FashionMnist z = ein::data::load_fashion_mnist(dir, {.normalize = true});
  CHECK(z.mean == doctest::Approx(0.2860).epsilon(1e-3));
  CHECK(z.std == doctest::Approx(0.3530).epsilon(1e-3));
}
