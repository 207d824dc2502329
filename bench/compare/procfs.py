"""What the comparison runner reads from /proc: a server's process tree (nginx and h2o fork
workers, node forks cluster workers), its CPU time and memory, and the machine it runs on.

CPU time is utime+stime of every process of the tree (all threads included); memory is the
sum of VmHWM (peak) or VmRSS (now) over the tree, in KiB.
"""
import os
import platform

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    """Fields of /proc/PID/stat after the command name (which may hold spaces)."""
    with open("/proc/%d/stat" % pid) as f:
        data = f.read()
    return data[data.rindex(")") + 2:].split()


def tree(root):
    """root and all its descendants that are alive now."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(_stat_fields(int(entry))[1])
        except (OSError, ValueError, IndexError):
            continue  # exited while we looked
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pids):
    """utime+stime of the given processes, in seconds (processes gone are skipped)."""
    ticks = 0
    for pid in pids:
        try:
            f = _stat_fields(pid)
            ticks += int(f[11]) + int(f[12])  # fields 14 and 15 of stat: utime, stime
        except (OSError, ValueError, IndexError):
            pass
    return ticks / CLOCK_TICKS


def memory_kib(pids, field):
    """Sum of a /proc/PID/status field (VmHWM, VmRSS) over the processes, in KiB."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith(field + ":"):
                        total += int(line.split()[1])
                        break
        except (OSError, ValueError):
            pass
    return total


def cpu_ticks():
    """{cpu index: (process ticks, busy ticks, all ticks)} from /proc/stat. Process ticks are
    user+nice+system, time charged to some process; busy adds irq, softirq and steal. On
    loopback much of TCP's work runs in softirq on the sending core and is charged to no
    process, so a process's own CPU time understates how busy its core was."""
    ticks = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3].isdigit():
                name, *values = line.split()
                v = [int(x) for x in values[:8]]  # user nice system idle iowait irq softirq steal
                ticks[int(name[3:])] = (v[0] + v[1] + v[2], sum(v) - v[3] - v[4], sum(v))
    return ticks


def _ids(ticks, cpus):
    return sorted(ticks) if cpus is None else [int(c) for c in cpus.split(",")]


def busy_percent(before, after, cpus):
    """Share of time the given CPUs (e.g. "0", "0,1", None = all) were busy between samples."""
    ids = _ids(after, cpus)
    busy = sum(after[c][1] - before[c][1] for c in ids)
    total = sum(after[c][2] - before[c][2] for c in ids)
    return 100.0 * busy / total if total else None


def all_processes():
    """{(pid, start time): CPU ticks} of every process now: to see who else used the CPU."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                f = _stat_fields(int(entry))
                found[(int(entry), int(f[19]))] = int(f[11]) + int(f[12])  # starttime, times
            except (OSError, ValueError, IndexError):
                pass
    return found


def others_seconds(before, after, exclude_pids):
    """CPU seconds that processes other than exclude_pids used between two all_processes()
    samples. A process that started and ended in between is not seen: a lower bound."""
    ticks = 0
    for key, t in after.items():
        if key[0] not in exclude_pids:
            ticks += t - before.get(key, 0)
    return ticks / CLOCK_TICKS


def machine():
    """The facts a benchmark report must state about the machine it ran on."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_kib = 0
    try:
        with open("/proc/meminfo") as f:
            mem_kib = int(f.readline().split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return {"cores": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "memory_gib": round(mem_kib / 1024 / 1024, 1)}
