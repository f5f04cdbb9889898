/* test_roundtrip.c - read -> write without conversion is byte-identical for every shared
 * TensorFlow model, and the graph's inputs and outputs are the documented ones. */
#include "common/models.h"
#include "common/testlib.h"

#include "model/model.h"

#include <stdlib.h>
#include <string.h>

static void roundtrip_is_identity(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    for (size_t i = 0; i < HC_N_TF_MODELS; i++) {
        const char *path = hc_test_shared(HC_TF_MODELS[i]);
        hc_model *m;
        hc_status s = hc_model_open(ctx, path, &m);
        if (s) fail_msg("%s", hc_ctx_message(ctx));
        void *out;
        size_t n;
        assert_int_equal(hc_model_serialize(ctx, m, HC_FORMAT_PB, &out, &n), HC_OK);
        size_t in_n;
        uint8_t *in = hc_test_read(path, &in_n);
        assert_non_null(in);
        assert_int_equal(n, in_n);
        assert_memory_equal(out, in, n);
        free(in);
        hc_free(ctx, out);
        hc_model_free(m);
    }
    hc_ctx_free(ctx);
}

static void io_names_match_manifest(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    hc_model *m;
    const char *path = hc_test_shared(HC_TF_MODELS[0]);
    assert_int_equal(hc_model_open(ctx, path, &m), HC_OK);
    assert_int_equal(hc_model_input_count(m), 1);
    hc_io_info io;
    assert_int_equal(hc_model_input(m, 0, &io), HC_OK);
    assert_string_equal(io.name, "input_tensor");
    assert_int_equal(io.dtype, HC_DT_UINT8);
    assert_int_equal(io.rank, 4);
    assert_int_equal(hc_model_output_count(m), 8);
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(hc_model_output(m, i, &io), HC_OK);
        assert_true(strncmp(io.name, "Identity", 8) == 0);
    }
    hc_model_free(m);
    hc_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roundtrip_is_identity),
        cmocka_unit_test(io_names_match_manifest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
