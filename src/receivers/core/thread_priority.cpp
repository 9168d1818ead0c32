#include "thread_priority.h"

#include <pthread.h>
#include <sched.h>

#include <cstring>

namespace scream::receiver {

bool raiseThreadPriority(int priority, std::string* why) {
  sched_param param{};
  param.sched_priority = priority;
  const int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
  if (rc != 0 && why != nullptr) *why = std::strerror(rc);
  return rc == 0;
}

}  // namespace scream::receiver
