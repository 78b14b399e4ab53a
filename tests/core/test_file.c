/* test_file.c: whole-file reads: sizes at and over the limit, files without a size, and each error. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "harness.h"

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK_MSG(f != NULL, "cannot write %s", path);
    if (!f)
        return;
    CHECK(fwrite(data, 1, n, f) == n);
    fclose(f);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    char dir[512], path[600], empty[600], missing[600];
    snprintf(dir, sizeof dir, "%s/fk_file_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        CHECK_MSG(0, "mkdtemp %s failed", dir);
        return fk_test_finish("test_file");
    }
    snprintf(path, sizeof path, "%s/ten.bin", dir);
    snprintf(empty, sizeof empty, "%s/empty.bin", dir);
    snprintf(missing, sizeof missing, "%s/no/such.bin", dir);
    write_file(path, "0123456789", 10);
    write_file(empty, "", 0);

    void *data = NULL;
    size_t size = 0;
    fk_error err = {0};

    /* exactly at the limit: read, NUL-terminated */
    CHECK_OK(fk__file_read_all(path, 10, &data, &size, &err));
    CHECK(size == 10 && data && memcmp(data, "0123456789", 11) == 0);
    free(data);

    /* one byte over: refused, with both numbers */
    CHECK(fk__file_read_all(path, 9, &data, &size, &err) == FK_E_LIMIT);
    CHECK(data == NULL && size == 0);
    CHECK_MSG(strstr(err.message, "ten.bin") && strstr(err.message, "10 bytes") && strstr(err.message, "9"), "%s",
              err.message);

    /* empty file: a valid, empty, NUL-terminated buffer */
    CHECK_OK(fk__file_read_all(empty, 0, &data, &size, &err));
    CHECK(size == 0 && data && ((char *)data)[0] == '\0');
    free(data);

    /* missing file, missing folder on the way */
    CHECK(fk__file_read_all(missing, 100, &data, &size, &err) == FK_E_NOT_FOUND);
    CHECK_MSG(strstr(err.message, "no/such.bin") && strstr(err.message, "not found"), "%s", err.message);
    char under_file[700];
    snprintf(under_file, sizeof under_file, "%s/x", path);
    CHECK(fk__file_read_all(under_file, 100, &data, &size, &err) == FK_E_NOT_FOUND);

    /* a directory */
    CHECK(fk__file_read_all(dir, 100, &data, &size, &err) == FK_E_IO);
    CHECK_MSG(strstr(err.message, "is a directory") != NULL, "%s", err.message);

    /* no permission (root reads anything: then the check says nothing) */
    if (geteuid() != 0) {
        chmod(path, 0);
        CHECK(fk__file_read_all(path, 100, &data, &size, &err) == FK_E_IO);
        CHECK_MSG(strstr(err.message, "permission denied") != NULL, "%s", err.message);
        chmod(path, 0644);
    } else {
        fk_test_not_applicable("test_file permission check", "running as root");
    }

    /* /proc files say size 0 and have bytes: the growing path, and its limit */
    struct stat st;
    if (stat("/proc/self/maps", &st) == 0) {
        CHECK_OK(fk__file_read_all("/proc/self/maps", 1 << 24, &data, &size, &err));
        CHECK(size > 0 && data && strlen(data) == size);
        free(data);
        CHECK(fk__file_read_all("/proc/self/maps", 8, &data, &size, &err) == FK_E_LIMIT);
        CHECK(data == NULL);
    }

    CHECK(fk__file_read_all(path, 100, NULL, &size, &err) == FK_E_INVALID_ARGUMENT);
    CHECK(fk__file_read_all(NULL, 100, &data, &size, &err) == FK_E_INVALID_ARGUMENT);

    unlink(path);
    unlink(empty);
    rmdir(dir);
    return fk_test_finish("test_file");
}
