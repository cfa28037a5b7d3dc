/* git_repo_info.c: ks_git_repo_info_get: HEAD's commit and branch and the remote's URL, for reports (SARIF's
 * versionControlProvenance); a URL's user name and password never reach a report. */
#include <git2.h>
#include <string.h>

#include "keysweep.h"

/* Copies src into dst (n bytes) when it fits, else leaves "". */
static void copy_fitting(char *dst, size_t n, const char *src)
{
    size_t len = strlen(src);
    if (len < n)
        memcpy(dst, src, len + 1);
    else
        dst[0] = '\0';
}

/* The URL without "user:password@" after its scheme: remotes often carry tokens ("https://x:TOKEN@host/r.git"). An
 * scp-like "git@host:r.git" has no scheme and names only a user: it is kept. */
static void url_without_userinfo(char *dst, size_t n, const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : NULL;
    const char *at = NULL;
    if (host) {
        size_t auth_len = strcspn(host, "/?#");
        for (const char *q = host; q < host + auth_len; q++)
            if (*q == '@')
                at = q; /* the last one: a password may hold '@' */
    }
    if (!at) {
        copy_fitting(dst, n, url);
        return;
    }
    size_t head = (size_t)(host - url), tail = strlen(at + 1);
    if (head + tail >= n) {
        dst[0] = '\0';
        return;
    }
    memcpy(dst, url, head);
    memcpy(dst + head, at + 1, tail + 1);
}

/* The first remote URL configured: its entry lives only during this call, so it is copied here. */
/* Every entry, matched here: libgit2 1.5's regex matching (git_config_foreach_match) leaks PCRE2 match data. */
static int first_remote_url(const git_config_entry *e, void *payload)
{
    ks_git_repo_info *info = payload;
    size_t n = strlen(e->name);
    if (strncmp(e->name, "remote.", 7) || n < 12 || strcmp(e->name + n - 4, ".url") || !e->value)
        return 0;
    url_without_userinfo(info->remote_url, sizeof info->remote_url, e->value);
    return 1; /* stops the iteration */
}

static void remote_url(git_repository *repo, ks_git_repo_info *info)
{
    git_config *cfg;
    if (git_repository_config_snapshot(&cfg, repo))
        return;
    const char *url = NULL;
    if (git_config_get_string(&url, cfg, "remote.origin.url"))
        url = NULL;
    if (url)
        url_without_userinfo(info->remote_url, sizeof info->remote_url, url);
    else /* no origin: the first remote configured */
        git_config_foreach(cfg, first_remote_url, info);
    git_config_free(cfg);
}

int ks_git_repo_info_get(const char *git_dir, ks_git_repo_info *info)
{
    if (!git_dir || !info)
        return KS_EINVAL;
    size_t room = info->size && info->size < sizeof *info ? info->size : sizeof *info;
    ks_git_repo_info full;
    memset(&full, 0, sizeof full);
    full.size = room;
    if (git_libgit2_init() < 0)
        return KS_ENOMEM;
    git_repository *repo;
    int rc = 0;
    if (git_repository_open_ext(&repo, git_dir, GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL)) {
        rc = KS_EIO;
    } else {
        git_oid head;
        if (git_reference_name_to_id(&head, repo, "HEAD") == 0)
            git_oid_tostr(full.head, sizeof full.head, &head);
        git_reference *ref;
        if (git_reference_lookup(&ref, repo, "HEAD") == 0) {
            const char *target = git_reference_symbolic_target(ref);
            if (target && strncmp(target, "refs/heads/", 11) == 0)
                copy_fitting(full.branch, sizeof full.branch, target + 11);
            git_reference_free(ref);
        }
        remote_url(repo, &full);
        git_repository_free(repo);
    }
    git_libgit2_shutdown();
    if (!rc)
        memcpy(info, &full, room);
    return rc;
}
