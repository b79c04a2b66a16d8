#!/usr/bin/python3
"""A pass-through file system that adds a fixed delay to every operation, as a network file system
(EFS, over NFS) does, and counts the operations by type.

    slowfs.py BACKING MOUNTPOINT DELAY_MS STATS_FILE

Every operation the kernel sends that is a round trip on NFS (lookup/getattr, access, open, read,
readdir, writes, ...) sleeps DELAY_MS, then does the same on BACKING; closing a file (flush,
release) is free, as it is on NFS for a file that was only read, and is not counted. The kernel
caches attributes and names for 3 s (attr_timeout, entry_timeout), like an NFS client's default
acregmin (EFS's mount helper keeps the kernel's NFS defaults), and keeps a file's pages while its
modification time does not change (auto_cache), as NFS's close-to-open consistency does. When STATS_FILE.req appears, the counts are written as JSON to STATS_FILE (then renamed
into place), reset, and STATS_FILE.req removed; the bench asks so around each page it measures (a
signal would wait for the main thread, which libfuse holds). Runs in the foreground until unmounted.
"""
import errno
import json
import os
import sys
import threading
import time
from collections import Counter

from fusepy import FUSE, FuseOSError, Operations


# Local bookkeeping, no round trip: not delayed, not counted.
FREE = {'init', 'destroy', 'flush', 'release', 'releasedir', 'opendir'}


class SlowPassthrough(Operations):
    def __init__(self, root, delay_s, stats_file):
        self.root = os.path.realpath(root)
        self.delay_s = delay_s
        self.stats_file = stats_file
        self.counts = Counter()
        self.mutex = threading.Lock()

    def _path(self, path):
        return os.path.join(self.root, path.lstrip('/'))

    def __call__(self, op, path, *args):
        if op not in FREE:
            with self.mutex:
                self.counts[op] += 1
            if self.delay_s:
                time.sleep(self.delay_s)
        if not hasattr(self, op):
            raise FuseOSError(errno.ENOSYS)
        return getattr(self, op)(path, *args)

    def dump(self):
        with self.mutex:
            counts, self.counts = dict(self.counts), Counter()
        tmp = self.stats_file + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(counts, f)
        os.replace(tmp, self.stats_file)

    # Reads
    def access(self, path, mode):
        if not os.access(self._path(path), mode):
            raise FuseOSError(errno.EACCES)

    def getattr(self, path, fh=None):
        st = os.lstat(self._path(path))
        keys = ('st_atime', 'st_ctime', 'st_gid', 'st_mode', 'st_mtime', 'st_nlink', 'st_size', 'st_uid')
        return {k: getattr(st, k) for k in keys}

    def readdir(self, path, fh):
        return ['.', '..'] + os.listdir(self._path(path))

    def readlink(self, path):
        return os.readlink(self._path(path))

    def statfs(self, path):
        st = os.statvfs(self._path(path))
        keys = ('f_bavail', 'f_bfree', 'f_blocks', 'f_bsize', 'f_favail', 'f_ffree', 'f_files', 'f_flag', 'f_frsize', 'f_namemax')
        return {k: getattr(st, k) for k in keys}

    def open(self, path, flags):
        return os.open(self._path(path), flags)

    def read(self, path, size, offset, fh):
        os.lseek(fh, offset, os.SEEK_SET)
        return os.read(fh, size)

    def release(self, path, fh):
        return os.close(fh)

    # Writes (WordPress writes uploads, caches and its own updates here)
    def chmod(self, path, mode):
        return os.chmod(self._path(path), mode)

    def chown(self, path, uid, gid):
        return os.chown(self._path(path), uid, gid)

    def create(self, path, mode, fi=None):
        return os.open(self._path(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)

    def write(self, path, data, offset, fh):
        os.lseek(fh, offset, os.SEEK_SET)
        return os.write(fh, data)

    def truncate(self, path, length, fh=None):
        with open(self._path(path), 'r+') as f:
            f.truncate(length)

    def flush(self, path, fh):
        return 0

    def fsync(self, path, datasync, fh):
        return os.fsync(fh)

    def mkdir(self, path, mode):
        return os.mkdir(self._path(path), mode)

    def rmdir(self, path):
        return os.rmdir(self._path(path))

    def unlink(self, path):
        return os.unlink(self._path(path))

    def rename(self, old, new):
        return os.rename(self._path(old), self._path(new))

    def symlink(self, name, target):
        return os.symlink(target, self._path(name))

    def link(self, target, name):
        return os.link(self._path(name), self._path(target))

    def utimens(self, path, times=None):
        return os.utime(self._path(path), times)


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    backing, mountpoint, delay_ms, stats_file = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    fs = SlowPassthrough(backing, delay_ms / 1000.0, stats_file)

    def watch():
        request = stats_file + '.req'
        while True:
            if os.path.exists(request):
                fs.dump()
                os.unlink(request)
            time.sleep(0.02)

    threading.Thread(target=watch, daemon=True).start()
    FUSE(fs, mountpoint, foreground=True, nothreads=False, allow_other=True,
         attr_timeout=3, entry_timeout=3, negative_timeout=3, auto_cache=True)


if __name__ == '__main__':
    main()
