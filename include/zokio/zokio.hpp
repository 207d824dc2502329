// Zokio's umbrella header: the runtime, tasks, time and networking.
#pragma once

#include "zokio/io_result.hpp"
#include "zokio/net/address.hpp"
#include "zokio/net/tcp.hpp"
#include "zokio/runtime.hpp"
#include "zokio/spawn.hpp"
#include "zokio/task.hpp"
#include "zokio/time.hpp"
