// Task<T>: a lazily started coroutine that is awaited by exactly one parent,
// resuming it by symmetric transfer when done. Destroying a Task destroys its
// (suspended) frame, so cancelling a virtual user is destroying its root frame:
// every local (connection, timer) is released by RAII on the way out.
//
// Exceptions: a coroutine that throws terminates the program. Errors on the
// data plane are values, never exceptions.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

namespace barrage::engine {

template <typename T = void>
class Task;

namespace detail {

struct FinalAwaiter {
  bool await_ready() const noexcept { return false; }
  template <typename P>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
    auto cont = h.promise().continuation;
    return cont ? cont : std::noop_coroutine();
  }
  void await_resume() const noexcept {}
};

struct PromiseBase {
  std::coroutine_handle<> continuation;
  std::suspend_always initial_suspend() const noexcept { return {}; }
  FinalAwaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() const noexcept { std::terminate(); }
};

// Owns the coroutine frame and awaits it; shared by Task<T> and Task<void>.
template <typename Promise>
class TaskBase {
 public:
  TaskBase() = default;
  explicit TaskBase(std::coroutine_handle<Promise> h) noexcept : handle_(h) {}
  TaskBase(TaskBase&& o) noexcept : handle_(std::exchange(o.handle_, {})) {}
  TaskBase& operator=(TaskBase&& o) noexcept {
    if (this != &o) {
      reset();
      handle_ = std::exchange(o.handle_, {});
    }
    return *this;
  }
  ~TaskBase() { reset(); }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> parent) noexcept {
    handle_.promise().continuation = parent;
    return handle_;
  }

  // For root tasks: the raw handle, to start and to query completion.
  [[nodiscard]] std::coroutine_handle<Promise> handle() const noexcept { return handle_; }
  [[nodiscard]] bool done() const noexcept { return !handle_ || handle_.done(); }

 protected:
  void reset() noexcept {
    if (handle_) handle_.destroy();
    handle_ = {};
  }
  std::coroutine_handle<Promise> handle_;
};

template <typename T>
struct ValuePromise;

}  // namespace detail

template <typename T>
class [[nodiscard]] Task : public detail::TaskBase<detail::ValuePromise<T>> {
 public:
  using promise_type = detail::ValuePromise<T>;
  using detail::TaskBase<promise_type>::TaskBase;
  T await_resume() { return std::move(*this->handle_.promise().value); }
};

template <>
class [[nodiscard]] Task<void> : public detail::TaskBase<detail::ValuePromise<void>> {
 public:
  using promise_type = detail::ValuePromise<void>;
  using detail::TaskBase<promise_type>::TaskBase;
  void await_resume() const noexcept {}
};

namespace detail {

template <typename T>
struct ValuePromise : PromiseBase {
  std::optional<T> value;
  Task<T> get_return_object() noexcept {
    return Task<T>(std::coroutine_handle<ValuePromise>::from_promise(*this));
  }
  template <typename U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
};

template <>
struct ValuePromise<void> : PromiseBase {
  Task<void> get_return_object() noexcept {
    return Task<void>(std::coroutine_handle<ValuePromise>::from_promise(*this));
  }
  void return_void() const noexcept {}
};

}  // namespace detail

}  // namespace barrage::engine
