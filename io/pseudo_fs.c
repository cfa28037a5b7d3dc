/* pseudo_fs.c: the table of pseudo file systems by statfs magic, and devtmpfs told apart from tmpfs. */
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "pseudo_fs.h"

/* Not exported by <linux/magic.h>; values from the kernel sources that define them. */
#define KS_CONFIGFS_MAGIC 0x62656570
#define KS_MQUEUE_MAGIC 0x19800202
#define KS_FUSECTL_MAGIC 0x65735543
#define KS_NFSD_MAGIC 0x6e667364
#define KS_RPC_PIPEFS_MAGIC 0x67596969

/* Kernel state presented as files: reading them yields no stored data, can be endless
 * (/proc/PID/pagemap), blocks (tracefs' trace_pipe), or has side effects. Scanned only when the
 * user names a path inside one. Memory-backed file systems that hold real files (tmpfs, ramfs,
 * overlay) are not here. */
static const struct {
    unsigned long magic;
    const char *name;
} pseudo[] = {
    {PROC_SUPER_MAGIC, "proc"},
    {SYSFS_MAGIC, "sysfs"},
    {DEVPTS_SUPER_MAGIC, "devpts"},
    {CGROUP_SUPER_MAGIC, "cgroup"},
    {CGROUP2_SUPER_MAGIC, "cgroup2"},
    {DEBUGFS_MAGIC, "debugfs"},
    {TRACEFS_MAGIC, "tracefs"},
    {SECURITYFS_MAGIC, "securityfs"},
    {SELINUX_MAGIC, "selinuxfs"},
    {SMACK_MAGIC, "smackfs"},
    {BPF_FS_MAGIC, "bpf"},
    {KS_CONFIGFS_MAGIC, "configfs"},
    {PSTOREFS_MAGIC, "pstore"},
    {EFIVARFS_MAGIC, "efivarfs"},
    {KS_FUSECTL_MAGIC, "fusectl"},
    {AUTOFS_SUPER_MAGIC, "autofs"},
    {BINFMTFS_MAGIC, "binfmt_misc"},
    {KS_MQUEUE_MAGIC, "mqueue"},
    {HUGETLBFS_MAGIC, "hugetlbfs"},
    {RDTGROUP_SUPER_MAGIC, "resctrl"},
    {NSFS_MAGIC, "nsfs"},
    {USBDEVICE_SUPER_MAGIC, "usbfs"},
    {OPENPROM_SUPER_MAGIC, "openpromfs"},
    {XENFS_SUPER_MAGIC, "xenfs"},
    {BINDERFS_SUPER_MAGIC, "binder"},
    {KS_NFSD_MAGIC, "nfsd"},
    {KS_RPC_PIPEFS_MAGIC, "rpc_pipefs"},
};

/* Collects the st_dev of devtmpfs mounts: field 3 of a mountinfo line is major:minor, and the
 * file system type follows the " - " separator. Without /proc, none is known. */
static void load_devtmpfs(ks_pseudo_fs_cache *c)
{
    c->loaded = 1;
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return;
    char line[4096];
    size_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned maj, min;
        const char *sep = strstr(line, " - ");
        if (!sep || strncmp(sep + 3, "devtmpfs ", 9) || sscanf(line, "%*s %*s %u:%u", &maj, &min) != 2)
            continue;
        if (c->n == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            dev_t *d = realloc(c->devtmpfs, ncap * sizeof *d);
            if (!d)
                break;
            c->devtmpfs = d;
            cap = ncap;
        }
        c->devtmpfs[c->n++] = makedev(maj, min);
    }
    fclose(f);
}

const char *ks_pseudo_fs_name(int fd, dev_t dev, ks_pseudo_fs_cache *cache)
{
    struct statfs sf;
    if (fstatfs(fd, &sf))
        return NULL;
    unsigned long magic = (unsigned long)(unsigned)sf.f_type;
    for (size_t i = 0; i < sizeof pseudo / sizeof pseudo[0]; i++)
        if (pseudo[i].magic == magic)
            return pseudo[i].name;
    if (magic == TMPFS_MAGIC) {
        if (!cache->loaded)
            load_devtmpfs(cache);
        for (size_t i = 0; i < cache->n; i++)
            if (cache->devtmpfs[i] == dev)
                return "devtmpfs";
    }
    return NULL;
}

void ks_pseudo_fs_cache_free(ks_pseudo_fs_cache *cache)
{
    free(cache->devtmpfs);
    cache->devtmpfs = NULL;
    cache->n = 0;
    cache->loaded = 0;
}
