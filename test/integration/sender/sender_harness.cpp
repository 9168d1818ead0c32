#include "sender_harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace scream::test {

uint64_t monotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

UdpCapture::UdpCapture(const char* address, uint16_t port) {
  fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket");
  const int on = 1;
  setsockopt(fd_, IPPROTO_IP, IP_RECVTOS, &on, sizeof on);
  setsockopt(fd_, IPPROTO_IP, IP_RECVTTL, &on, sizeof on);
  setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  const int buffer = 8 << 20;  // ample: a stall of the reader must not drop datagrams
  setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  inet_pton(AF_INET, address, &sa.sin_addr);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    throw std::runtime_error(std::string("bind: ") + std::strerror(errno));
  }
  socklen_t len = sizeof sa;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
  port_ = ntohs(sa.sin_port);
}

UdpCapture::~UdpCapture() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  close(fd_);
}

bool UdpCapture::join(const char* group, const char* interfaceAddress) {
  ip_mreq request{};
  inet_pton(AF_INET, group, &request.imr_multiaddr);
  inet_pton(AF_INET, interfaceAddress, &request.imr_interface);
  return setsockopt(fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &request, sizeof request) == 0;
}

void UdpCapture::start() {
  thread_ = std::thread([this] { run(); });
}

void UdpCapture::run() {
  std::vector<uint8_t> buffer(65536);
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    sockaddr_in from{};
    iovec iov{buffer.data(), buffer.size()};
    alignas(cmsghdr) char control[256];
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = recvmsg(fd_, &msg, 0);
    const uint64_t now = monotonicNs();
    if (n < 0) continue;
    Datagram d;
    d.bytes.assign(buffer.begin(), buffer.begin() + n);
    d.arrivalNs = now;
    d.sourcePort = ntohs(from.sin_port);
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != IPPROTO_IP) continue;
      if (c->cmsg_type == IP_TOS) d.tos = *reinterpret_cast<unsigned char*>(CMSG_DATA(c));
      if (c->cmsg_type == IP_TTL) d.ttl = *reinterpret_cast<int*>(CMSG_DATA(c));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    datagrams_.push_back(std::move(d));
  }
}

std::vector<Datagram> UdpCapture::finish(int quietMs) {
  // Wait until nothing has arrived for quietMs (bounded: 5 s at most).
  const uint64_t limit = monotonicNs() + 5'000'000'000ull;
  size_t seen = SIZE_MAX;
  while (monotonicNs() < limit) {
    size_t count;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      count = datagrams_.size();
    }
    if (count == seen) break;
    seen = count;
    usleep(static_cast<useconds_t>(quietMs) * 1000);
  }
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  return datagrams_;
}

SenderProcess::SenderProcess(const std::vector<std::string>& args, const std::string& stdinPath) {
  char outTemplate[] = "/tmp/scream-send-out-XXXXXX";
  char errTemplate[] = "/tmp/scream-send-err-XXXXXX";
  const int outFd = mkstemp(outTemplate);
  const int errFd = mkstemp(errTemplate);
  outPath_ = outTemplate;
  errPath_ = errTemplate;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, stdinPath.empty() ? "/dev/null" : stdinPath.c_str(),
                                   O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, outFd, 1);
  posix_spawn_file_actions_adddup2(&actions, errFd, 2);
  std::vector<std::string> all = {SCREAM_SEND_PATH};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (posix_spawn(&pid_, SCREAM_SEND_PATH, &actions, nullptr, argv.data(), environ) != 0) {
    pid_ = -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  close(outFd);
  close(errFd);
}

SenderProcess::~SenderProcess() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::remove(outPath_.c_str());
  std::remove(errPath_.c_str());
}

void SenderProcess::signal(int sig) {
  if (pid_ > 0 && !reaped_) kill(pid_, sig);
}

static std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ProcessResult SenderProcess::wait(int timeoutMs) {
  ProcessResult result;
  if (pid_ <= 0) return result;
  const uint64_t limit = monotonicNs() + uint64_t(timeoutMs) * 1'000'000;
  int status = 0;
  while (true) {
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (monotonicNs() > limit) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      result.timedOut = true;
      break;
    }
    usleep(5000);
  }
  reaped_ = true;
  if (!result.timedOut && WIFEXITED(status)) result.exitCode = WEXITSTATUS(status);
  result.out = slurp(outPath_);
  result.err = slurp(errPath_);
  return result;
}

ProcessResult runSender(const std::vector<std::string>& args, int timeoutMs,
                        const std::string& stdinPath) {
  SenderProcess process(args, stdinPath);
  return process.wait(timeoutMs);
}

TempDir::TempDir() {
  char path[] = "/tmp/scream-send-test-XXXXXX";
  if (mkdtemp(path) == nullptr) throw std::runtime_error("mkdtemp");
  path_ = path;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void writeFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

namespace {
void put16(std::vector<uint8_t>& v, uint32_t x) {
  v.push_back(static_cast<uint8_t>(x));
  v.push_back(static_cast<uint8_t>(x >> 8));
}
void put32(std::vector<uint8_t>& v, uint32_t x) {
  put16(v, x & 0xFFFF);
  put16(v, x >> 16);
}
void putTag(std::vector<uint8_t>& v, const char* tag) {
  for (int i = 0; i < 4; ++i) v.push_back(static_cast<uint8_t>(tag[i]));
}
}  // namespace

void writeWav(const std::string& path, const protocol::Format& format,
              const std::vector<uint8_t>& pcm, bool extensible, uint16_t formatTag) {
  std::vector<uint8_t> fmt;
  put16(fmt, extensible ? 0xFFFE : formatTag);
  put16(fmt, format.channels);
  put32(fmt, format.sampleRate);
  put32(fmt, format.sampleRate * format.bytesPerFrame());
  put16(fmt, format.bytesPerFrame());
  put16(fmt, format.bitsPerSample);
  if (extensible) {
    put16(fmt, 22);
    put16(fmt, format.bitsPerSample);
    put32(fmt, format.channelMask);
    // KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT: {0000000X-0000-0010-8000-00aa00389b71}
    const uint8_t guid[16] = {static_cast<uint8_t>(formatTag),
                              0,
                              0,
                              0,
                              0,
                              0,
                              0x10,
                              0,
                              0x80,
                              0,
                              0,
                              0xAA,
                              0,
                              0x38,
                              0x9B,
                              0x71};
    fmt.insert(fmt.end(), guid, guid + 16);
  }
  std::vector<uint8_t> file;
  putTag(file, "RIFF");
  put32(file, 0);  // patched below
  putTag(file, "WAVE");
  putTag(file, "fmt ");
  put32(file, static_cast<uint32_t>(fmt.size()));
  file.insert(file.end(), fmt.begin(), fmt.end());
  putTag(file, "LIST");  // an odd-sized chunk the reader must skip, with its pad byte
  put32(file, 3);
  file.insert(file.end(), {'a', 'b', 'c', 0});
  putTag(file, "data");
  put32(file, static_cast<uint32_t>(pcm.size()));
  file.insert(file.end(), pcm.begin(), pcm.end());
  const uint32_t riffSize = static_cast<uint32_t>(file.size() - 8);
  for (int i = 0; i < 4; ++i) file[4 + i] = static_cast<uint8_t>(riffSize >> (8 * i));
  writeFile(path, file);
}

std::vector<uint8_t> payload(const std::vector<Datagram>& datagrams) {
  std::vector<uint8_t> all;
  for (const auto& d : datagrams) {
    if (d.bytes.size() > 5) all.insert(all.end(), d.bytes.begin() + 5, d.bytes.end());
  }
  return all;
}

std::vector<uint8_t> randomPcm(size_t bytes, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> pcm(bytes);
  for (auto& b : pcm) b = static_cast<uint8_t>(rng() | 1);  // never an all-zero frame
  return pcm;
}

}  // namespace scream::test
