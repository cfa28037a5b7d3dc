/* git_pack_dir.c: an objects directory's packs found and opened in name order (the whole-directory reader and the
 * tree reader open the same packs the same way). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "git_pack_dir.h"

static int cmp_names(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The pack-*.pack names in dir, sorted (name order is the order packs are walked in: reproducible). */
static int pack_names(const ks_allocator *a, const char *dir, char ***names, size_t *n)
{
    DIR *dh = opendir(dir);
    size_t cap = 0;
    int rc = 0;
    *names = NULL;
    *n = 0;
    for (struct dirent *e; dh && rc == 0 && (e = readdir(dh)) != NULL;) {
        size_t l = strlen(e->d_name);
        if (l <= 10 || strncmp(e->d_name, "pack-", 5) != 0 || strcmp(e->d_name + l - 5, ".pack") != 0)
            continue;
        if (ks__agrow(a, (void **)names, &cap, *n, sizeof **names, 8) != 0 || !((*names)[*n] = ks__astrdup(a, e->d_name)))
            rc = KS_ENOMEM;
        else
            (*n)++;
    }
    if (dh)
        closedir(dh);
    if (*n)
        qsort(*names, *n, sizeof **names, cmp_names);
    return rc;
}

int ks__git_packs_open_dir(const ks_allocator *a, const char *objects_dir, ks_git_pack ***packs, size_t *n,
                           size_t *cap, ks_git_pack_failed failed, void *ctx)
{
    char *pdir = ks__apath_join(a, objects_dir, "pack");
    if (!pdir)
        return KS_ENOMEM;
    char **names;
    size_t nn;
    int rc = pack_names(a, pdir, &names, &nn);
    for (size_t i = 0; i < nn && rc == 0; i++) {
        char *pack = ks__apath_join(a, pdir, names[i]);
        char *idx = pack ? ks__astrdup(a, pack) : NULL;
        if (!idx) {
            ks__afree(a, pack);
            rc = KS_ENOMEM;
            break;
        }
        strcpy(idx + strlen(idx) - 5, ".idx");
        char why[512];
        ks_git_pack *p = NULL;
        int orc = ks__git_pack_open(a, pack, idx, &p, why, sizeof why);
        if (orc == 0 && ks__agrow(a, (void **)packs, cap, *n, sizeof **packs, 4) != 0) {
            ks__git_pack_close(p);
            orc = KS_ENOMEM;
        }
        if (orc == 0)
            (*packs)[(*n)++] = p;
        else if (orc == KS_ENOMEM)
            rc = orc;
        else if (failed)
            failed(ctx, pack, orc, why);
        ks__afree(a, pack);
        ks__afree(a, idx);
    }
    for (size_t i = 0; i < nn; i++)
        ks__afree(a, names[i]);
    ks__afree(a, names);
    ks__afree(a, pdir);
    return rc;
}
