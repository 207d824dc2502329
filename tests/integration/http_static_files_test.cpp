// http::StaticFiles behind a real http::Server (both drivers): directory and embedded sources,
// index and redirects, validators (304), ranges (206/416), gzip (made and precompressed),
// large files by sendfile to a slow reader, and paths that try to leave the root.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <zokio/http/static_files.hpp>

#include "../common/gunzip.hpp"
#include "http_test_server.hpp"

namespace {

using zokio::test::gunzip;

namespace fs = std::filesystem;
using zokio::Task;
using zokio::test::exchange;
using zokio::test::Reply;

void write_file(const fs::path& p, const std::string& data) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << data;
}

std::string random_bytes(std::size_t n) {
  std::mt19937 gen(42);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(gen());
  return s;
}

class StaticFilesTest : public zokio::test::HttpServerFixture {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("zokio-static-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    root_ = dir_ / "root";
    write_file(dir_ / "secret.txt", "TOP-SECRET");
    write_file(root_ / "index.html", "<h1>home</h1>");
    write_file(root_ / "docs/index.html", "<h1>docs</h1>");
    write_file(root_ / "page.html", "<p>page</p>");
    write_file(root_ / "style.css", std::string(2000, 'a'));
    write_file(root_ / "data.bin", "0123456789abcdefghij");
    write_file(root_ / "pre.txt", std::string(3000, 'x'));
    write_file(root_ / "pre.txt.gz", "not really gzip, but proves which file was sent");
    write_file(root_ / ".env", "SECRET=1");
    big_ = random_bytes(3 << 20);
    write_file(root_ / "big.bin", big_);
    fs::create_symlink(dir_ / "secret.txt", root_ / "escape-link");
    fs::create_symlink("page.html", root_ / "inside-link.html");
  }
  void TearDown() override {
    HttpServerFixture::TearDown();
    fs::remove_all(dir_);
  }
  void serve_dir() {
    auto site = zokio::http::StaticFiles::directory(root_.string());
    start_server(site.handler());
  }
  Reply get(const std::string& target, const std::string& extra = "") {
    auto r = rt_.block_on(
        exchange(addr_, "GET " + target + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n", 1));
    EXPECT_EQ(r.size(), 1u) << target;
    return r.empty() ? Reply{} : r[0];
  }

  fs::path dir_, root_;
  std::string big_;
};

TEST_F(StaticFilesTest, ServesFilesIndexesAndRedirects) {
  serve_dir();
  auto home = get("/");
  EXPECT_EQ(home.status, 200);
  EXPECT_EQ(home.body, "<h1>home</h1>");
  EXPECT_EQ(home.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(get("/docs/").body, "<h1>docs</h1>");
  auto redirect = get("/docs?x=1");
  EXPECT_EQ(redirect.status, 301);
  EXPECT_EQ(redirect.header("Location"), "/docs/?x=1");
  EXPECT_EQ(get("/page").body, "<p>page</p>");  // page.html
  EXPECT_EQ(get("/inside-link.html").body, "<p>page</p>");
  EXPECT_EQ(get("/style.css").header("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(get("/data.bin").header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(get("/missing.txt").status, 404);
  EXPECT_EQ(get("/page.html/").status, 404);
  auto post =
      rt_.block_on(exchange(addr_, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", 1));
  ASSERT_EQ(post.size(), 1u);
  EXPECT_EQ(post[0].status, 405);
  EXPECT_EQ(post[0].header("Allow"), "GET, HEAD, OPTIONS");
}

TEST_F(StaticFilesTest, RefusesPathsOutsideTheRoot) {
  serve_dir();
  for (const char* path : {"/../secret.txt", "/%2e%2e/secret.txt", "/docs/../../secret.txt",
                           "/..%2fsecret.txt", "/..\\secret.txt", "/%5c..%5csecret.txt",
                           "/index.html%00", "/escape-link", "/.env", "/%2e%2e%2fsecret.txt",
                           "/%252e%252e/secret.txt", "/docs/%2e%2e/%2e%2e/secret.txt", "/%zz"}) {
    auto r = get(path);
    EXPECT_TRUE(r.status == 400 || r.status == 403 || r.status == 404)
        << path << " -> " << r.status;
    EXPECT_EQ(r.body.find("SECRET"), std::string::npos) << path;
  }
}

TEST_F(StaticFilesTest, ValidatorsAnswer304) {
  serve_dir();
  auto first = get("/page.html");
  const std::string etag = first.header("ETag"), modified = first.header("Last-Modified");
  ASSERT_FALSE(etag.empty());
  ASSERT_FALSE(modified.empty());
  auto inm = get("/page.html", "If-None-Match: \"nope\", " + etag + "\r\n");
  EXPECT_EQ(inm.status, 304);
  EXPECT_TRUE(inm.body.empty());
  EXPECT_EQ(inm.header("ETag"), etag);
  EXPECT_EQ(get("/page.html", "If-None-Match: W/" + etag + "\r\n").status, 304);  // weak match
  EXPECT_EQ(get("/page.html", "If-None-Match: *\r\n").status, 304);
  EXPECT_EQ(get("/page.html", "If-None-Match: \"other\"\r\n").status, 200);
  EXPECT_EQ(get("/page.html", "If-Modified-Since: " + modified + "\r\n").status, 304);
  EXPECT_EQ(get("/page.html", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n").status, 200);
  // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
  EXPECT_EQ(get("/page.html", "If-None-Match: \"other\"\r\nIf-Modified-Since: " + modified + "\r\n")
                .status,
            200);
}

TEST_F(StaticFilesTest, SingleRangesAnswer206) {
  serve_dir();
  auto r = get("/data.bin", "Range: bytes=2-5\r\n");
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.body, "2345");
  EXPECT_EQ(r.header("Content-Range"), "bytes 2-5/20");
  EXPECT_EQ(get("/data.bin", "Range: bytes=-3\r\n").body, "hij");
  EXPECT_EQ(get("/data.bin", "Range: bytes=15-\r\n").body, "fghij");
  EXPECT_EQ(get("/data.bin", "Range: bytes=18-99\r\n").body, "ij");
  auto bad = get("/data.bin", "Range: bytes=20-\r\n");
  EXPECT_EQ(bad.status, 416);
  EXPECT_EQ(bad.header("Content-Range"), "bytes */20");
  EXPECT_EQ(get("/data.bin", "Range: bytes=0-1,4-5\r\n").status, 200);  // several: whole file
  EXPECT_EQ(get("/data.bin", "Range: items=0-1\r\n").status, 200);
  auto etag = get("/data.bin").header("ETag");
  EXPECT_EQ(get("/data.bin", "Range: bytes=0-0\r\nIf-Range: " + etag + "\r\n").status, 206);
  EXPECT_EQ(get("/data.bin", "Range: bytes=0-0\r\nIf-Range: \"stale\"\r\n").status, 200);
  // A range of a file large enough to go by sendfile.
  auto mid = get("/big.bin", "Range: bytes=1000000-1000099\r\n");
  EXPECT_EQ(mid.status, 206);
  EXPECT_EQ(mid.body, big_.substr(1000000, 100));
}

TEST_F(StaticFilesTest, GzipWhenAccepted) {
  serve_dir();
  auto gz = get("/style.css", "Accept-Encoding: br, gzip\r\n");
  EXPECT_EQ(gz.header("Content-Encoding"), "gzip");
  EXPECT_EQ(gz.header("Vary"), "Accept-Encoding");
  EXPECT_LT(gz.body.size(), 2000u);
  EXPECT_EQ(gunzip(gz.body), std::string(2000, 'a'));
  EXPECT_NE(gz.header("ETag"), get("/style.css").header("ETag"));  // variants differ in tags
  EXPECT_EQ(get("/style.css").body, std::string(2000, 'a'));
  EXPECT_EQ(get("/style.css", "Accept-Encoding: gzip;q=0\r\n").header("Content-Encoding"), "");
  auto pre = get("/pre.txt", "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(pre.body, "not really gzip, but proves which file was sent");
  EXPECT_EQ(get("/data.bin", "Accept-Encoding: gzip\r\n").header("Content-Encoding"), "");
}

TEST_F(StaticFilesTest, LargeFilesArriveWholeAtASlowReader) {
  // Larger than loopback's largest send buffer (4 MiB), so sendfile must wait for room.
  const std::string huge = random_bytes(12 << 20);
  write_file(root_ / "huge.bin", huge);
  serve_dir();
  // Pauses between reads keep the server's socket full, so the sendfile loop has to wait for
  // writability. (A receive buffer much smaller than this makes the kernel's TCP crawl, with
  // delayed ACKs, whatever the server does.)
  std::string got = rt_.block_on([](zokio::net::SocketAddr addr) -> Task<std::string> {
    auto s = (co_await zokio::net::TcpStream::connect(addr)).value();
    int small = 64 * 1024;
    ::setsockopt(s.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    std::string req = "GET /huge.bin HTTP/1.1\r\nHost: t\r\n\r\n";
    (void)co_await s.write_all(req);
    std::string all;
    char buf[65536];
    int reads = 0;
    for (;;) {
      auto n = co_await s.read(buf, sizeof(buf));
      if (!n || *n == 0) break;
      all.append(buf, *n);
      if (all.find("\r\n\r\n") != std::string::npos &&
          all.size() >= all.find("\r\n\r\n") + 4 + (12u << 20)) {
        break;
      }
      if (++reads % 4 == 0) co_await zokio::sleep(std::chrono::milliseconds(2));
    }
    co_return all;
  }(addr_));
  auto body_at = got.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos);
  EXPECT_NE(got.find("Content-Length: 12582912"), std::string::npos);
  EXPECT_TRUE(got.substr(body_at + 4) == huge)
      << "body differs (" << got.size() - body_at - 4 << " bytes)";
}

TEST_F(StaticFilesTest, HeadSendsNoBody) {
  serve_dir();
  auto r = rt_.block_on([](zokio::net::SocketAddr addr) -> Task<std::vector<Reply>> {
    auto s = (co_await zokio::net::TcpStream::connect(addr)).value();
    std::string req = "HEAD /big.bin HTTP/1.1\r\nHost: t\r\n\r\n";
    (void)co_await s.write_all(req);
    auto replies = co_await zokio::test::read_replies(s, 1, /*head_request=*/true);
    co_return replies;
  }(addr_));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].header("Content-Length"), "3145728");
  EXPECT_TRUE(r[0].body.empty());
}

TEST_F(StaticFilesTest, EmbeddedFiles) {
  static const zokio::http::EmbeddedFile files[] = {
      {"index.html", "<p>embedded</p>"},
      {"css/site.css", "body { color: red; } /* padding padding padding padding padding */"},
  };
  auto site = zokio::http::StaticFiles::embedded(files, 1'700'000'000);
  start_server(site.handler());
  EXPECT_EQ(get("/").body, "<p>embedded</p>");
  EXPECT_EQ(get("/css/site.css").header("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(get("/css").status, 301);
  EXPECT_EQ(get("/css/").status, 404);  // a directory without an index
  EXPECT_EQ(get("/nope").status, 404);
  auto r = get("/index.html");
  EXPECT_EQ(r.header("Last-Modified"), "Tue, 14 Nov 2023 22:13:20 GMT");
  EXPECT_EQ(get("/index.html", "If-None-Match: " + r.header("ETag") + "\r\n").status, 304);
}

TEST(StaticFilesSetup, MissingRootIsAClearError) {
  try {
    (void)zokio::http::StaticFiles::directory("/nonexistent/zokio-root");
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/zokio-root"), std::string::npos);
  }
}

}  // namespace
