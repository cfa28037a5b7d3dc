/* output_choice.c: the one rule for a scan's report format, colour and redaction when the command line leaves them
 * open, CI-safe defaults included. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "options.h"
#include "output_choice.h"

/* Set (to anything but "", "0" or "false") by the CI services that set them, on every job. CI=false or CI=0
 * says it is not a CI job, whatever else is set (a CI runner emulated on a workstation). */
static const char *const CI_VARIABLES[] = {
    "CI",                     /* GitHub Actions, GitLab, CircleCI, Travis, Buildkite, Drone, Woodpecker... */
    "CONTINUOUS_INTEGRATION", /* Travis */
    "GITHUB_ACTIONS",  "GITLAB_CI",  "BUILDKITE", "CIRCLECI",    "JENKINS_URL",  "TF_BUILD" /* Azure Pipelines */,
    "TRAVIS",          "TEAMCITY_VERSION",        "BITBUCKET_BUILD_NUMBER",      "DRONE",
    "CODEBUILD_BUILD_ID" /* AWS CodeBuild */,     "APPVEYOR",     "SEMAPHORE",    "BITRISE_IO"};

static int says_yes(const char *v) { return v && *v && strcmp(v, "0") && strcasecmp(v, "false"); }

const char *ci_variable(void)
{
    const char *ci = getenv("CI");
    if (ci && (!strcmp(ci, "0") || !strcasecmp(ci, "false")))
        return NULL;
    for (size_t i = 0; i < sizeof CI_VARIABLES / sizeof *CI_VARIABLES; i++)
        if (says_yes(getenv(CI_VARIABLES[i])))
            return CI_VARIABLES[i];
    return NULL;
}

/* The rule, documented once here (README's "Output" and scan --help say the same):
 * 1. --format FMT: that format, wherever the report goes.
 * 2. Else -o FILE: the format FILE's extension names (.sarif, .json, .jsonl, .csv, .xml), else jsonl.
 * 3. Else, on stdout: in a CI job (ci_variable()), text with every secret redacted, since CI logs are often
 *    readable by many more people than the repository's secrets should be; on a terminal, text; otherwise jsonl.
 * --redact[=N] is always obeyed; without it only case 3's CI default redacts. An explicit --format or -o gets
 * exactly what it asks for. The summary goes to stderr in every case (-q drops it). */
int choose_output(const output_request *q, output_choice *c)
{
    int ci_default = !q->format && !q->output && ci_variable();
    if (q->format) {
        if (out_format_parse(q->format, &c->fmt)) {
            say("--format: unknown format '%s' (" OUT_FORMAT_NAMES ")", q->format);
            return -1;
        }
    } else if (q->output) {
        if (out_format_from_extension(q->output, &c->fmt))
            c->fmt = FMT_JSONL;
    } else {
        c->fmt = ci_default || isatty(STDOUT_FILENO) ? FMT_TEXT : FMT_JSONL;
    }
    c->redact = q->redact >= 0 ? q->redact : ci_default ? 100 : 0;
    if (strcmp(q->color, "always") == 0)
        c->color = 1;
    else if (strcmp(q->color, "never") == 0)
        c->color = 0;
    else if (strcmp(q->color, "auto") == 0)
        c->color = !q->output && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
    else {
        say("--color: expected auto, always or never, not '%s'", q->color);
        return -1;
    }
    c->color = c->color && c->fmt == FMT_TEXT;
    return 0;
}
