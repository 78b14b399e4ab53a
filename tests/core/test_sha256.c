/* test_sha256.c: SHA-256 against the FIPS 180-4 examples, across block boundaries, and of files. */
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sha256.h"
#include "harness.h"

static void check_hex(const char *what, const void *data, size_t n, const char *want)
{
    char hex[FK__SHA256_HEX_SIZE];
    fk__sha256_hex(data, n, hex);
    CHECK_MSG(strcmp(hex, want) == 0, "%s: got %s, want %s", what, hex, want);
}

static void test_fips_vectors(void)
{
    check_hex("empty", "", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_hex("NULL, 0", NULL, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_hex("abc", "abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_hex("448 bits", m448, strlen(m448), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                       "mnopqrstnopqrstu";
    check_hex("896 bits", m896, strlen(m896), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");

    /* a million 'a', one-shot and fed in uneven pieces */
    const char *million = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    char *a = malloc(1000000);
    CHECK(a != NULL);
    if (!a)
        return;
    memset(a, 'a', 1000000);
    check_hex("million a", a, 1000000, million);
    fk__sha256 s;
    fk__sha256_init(&s);
    size_t done = 0, step = 1;
    while (done < 1000000) {
        size_t n = step < 1000000 - done ? step : 1000000 - done;
        fk__sha256_update(&s, a + done, n);
        done += n;
        step = step * 3 % 997 + 1; /* 1, 4, 13, 40, ... wraps through odd sizes */
    }
    uint8_t d[FK__SHA256_SIZE];
    char hex[FK__SHA256_HEX_SIZE];
    fk__sha256_final(&s, d);
    fk__sha256_to_hex(d, hex);
    CHECK_MSG(strcmp(hex, million) == 0, "million a in pieces: %s", hex);
    free(a);
}

/* Every length 0..130 (padding in one block or two, 55/56/63/64/65 included), one-shot and byte
 * by byte; the digests' hex concatenated and hashed gives one value computed with Python's hashlib. */
static void test_lengths(void)
{
    unsigned char msg[130];
    for (int i = 0; i < 130; i++)
        msg[i] = (unsigned char)((i * 7 + 3) & 0xff);
    fk__sha256 all;
    fk__sha256_init(&all);
    for (size_t n = 0; n <= 130; n++) {
        char one[FK__SHA256_HEX_SIZE], bytewise[FK__SHA256_HEX_SIZE];
        fk__sha256_hex(msg, n, one);
        fk__sha256 s;
        uint8_t d[FK__SHA256_SIZE];
        fk__sha256_init(&s);
        for (size_t i = 0; i < n; i++)
            fk__sha256_update(&s, msg + i, 1);
        fk__sha256_final(&s, d);
        fk__sha256_to_hex(d, bytewise);
        CHECK_MSG(strcmp(one, bytewise) == 0, "length %zu: one-shot %s, byte-wise %s", n, one, bytewise);
        fk__sha256_update(&all, one, 64);
    }
    uint8_t d[FK__SHA256_SIZE];
    char hex[FK__SHA256_HEX_SIZE];
    fk__sha256_final(&all, d);
    fk__sha256_to_hex(d, hex);
    CHECK_MSG(strcmp(hex, "d2742658eeae2e342e618f39ae52ef451168b58f37f0932d49a52eda7f546706") == 0,
              "lengths 0..130: %s", hex);
}

static void test_file(void)
{
    const char *tmp = getenv("TMPDIR");
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/fk_sha256_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        CHECK_MSG(0, "mkdtemp %s failed", dir);
        return;
    }
    snprintf(path, sizeof path, "%s/a.bin", dir);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        /* 100000 'a' crosses the streaming buffer several times */
        for (int i = 0; i < 100000; i++)
            fputc('a', f);
        fclose(f);
    }
    char hex[FK__SHA256_HEX_SIZE];
    fk_error err = {0};
    CHECK_OK(fk__sha256_file(path, hex, &err));
    char want[FK__SHA256_HEX_SIZE];
    char *a = malloc(100000);
    CHECK(a != NULL);
    if (a) {
        memset(a, 'a', 100000);
        fk__sha256_hex(a, 100000, want);
        CHECK_MSG(strcmp(hex, want) == 0, "file: %s, buffer: %s", hex, want);
        free(a);
    }

    /* errors name the file */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/missing.bin", dir);
    CHECK(fk__sha256_file(missing, hex, &err) == FK_E_NOT_FOUND);
    CHECK_MSG(strstr(err.message, "missing.bin") != NULL, "%s", err.message);
    CHECK(fk__sha256_file(dir, hex, &err) == FK_E_IO);
    CHECK_MSG(strstr(err.message, "directory") != NULL, "%s", err.message);

    unlink(path);
    rmdir(dir);
}

int main(void)
{
    test_fips_vectors();
    test_lengths();
    test_file();
    return fk_test_finish("test_sha256");
}
