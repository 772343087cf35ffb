// A shard's shared connections to one origin (config.http.pool: N): VUs take
// a connection for one request and give it back. Waiters are served FIFO.
#pragma once

#include <coroutine>
#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

#include "engine/connection.h"

namespace barrage::engine {

class ConnectionPool {
 public:
  ConnectionPool(EventLoop& loop, size_t capacity) : loop_(loop), capacity_(capacity) {}

  class AcquireAwaiter {
   public:
    explicit AcquireAwaiter(ConnectionPool& p) noexcept : pool_(p) {}
    ~AcquireAwaiter() {
      if (waiting_) std::erase(pool_.waiters_, this);
    }
    AcquireAwaiter(const AcquireAwaiter&) = delete;
    AcquireAwaiter& operator=(const AcquireAwaiter&) = delete;
    bool await_ready() {
      conn_ = pool_.try_take();
      return conn_ != nullptr;
    }
    void await_suspend(std::coroutine_handle<> h) {
      handle_ = h;
      waiting_ = true;
      pool_.waiters_.push_back(this);
    }
    std::unique_ptr<Connection> await_resume() { return std::move(conn_); }

   private:
    friend class ConnectionPool;
    ConnectionPool& pool_;
    std::unique_ptr<Connection> conn_;
    std::coroutine_handle<> handle_;
    bool waiting_ = false;
  };

  // co_await pool.acquire() -> a connection (open or not yet connected).
  AcquireAwaiter acquire() noexcept { return AcquireAwaiter(*this); }

  void release(std::unique_ptr<Connection> c) {
    if (!waiters_.empty()) {
      AcquireAwaiter* w = waiters_.front();
      waiters_.pop_front();
      w->waiting_ = false;
      w->conn_ = std::move(c);
      loop_.post(w->handle_);
      return;
    }
    idle_.push_back(std::move(c));
  }

 private:
  std::unique_ptr<Connection> try_take() {
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    if (created_ < capacity_) {
      ++created_;
      return std::make_unique<Connection>(loop_);
    }
    return nullptr;
  }

  EventLoop& loop_;
  size_t capacity_;
  size_t created_ = 0;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::deque<AcquireAwaiter*> waiters_;
};

}  // namespace barrage::engine
