/* doctor.h - what makes a model slow to load or bigger than it needs to be, what each finding
 * costs, and a fix that repacks a private copy of the graph:
 *   - weights stored one value at a time (half_val always; float_val, double_val, int_val ...
 *     from a length on): packed as tensor_content;
 *   - constants whose values are all equal, stored in full: one value in their *_val list
 *     with the full shape (TensorFlow repeats the last value);
 *   - constants with the same dtype, shape, values, device, control inputs and attributes as
 *     an earlier one: consumers re-pointed to the first, the copy removed;
 *   - nodes that no graph output needs (dangling constants, NoOps and Asserts nothing depends
 *     on, and what only they read): removed, except graph inputs and stateful ops other than
 *     Assert, which a caller may run as targets.
 * The analysis measures this machine's per-value decode cost once and multiplies; it prints
 * nothing. Findings and the fix never change what the model computes: the fixed bytes are read
 * back, checked, and every constant's values compared with the input's before they are handed
 * out. */
#ifndef HC_DOCTOR_DOCTOR_H
#define HC_DOCTOR_DOCTOR_H

#include "model/model.h"

typedef enum hc_doctor_kind {
    HC_DOC_VALUE_LIST = 0, /* weights in a *_val list, one value at a time */
    HC_DOC_BROADCAST,      /* every value equal, stored in full */
    HC_DOC_DUPLICATE,      /* the same constant as an earlier one */
    HC_DOC_UNUSED,         /* no graph output needs the node */
    HC_DOC_KIND_COUNT
} hc_doctor_kind;

#define HC_DOC_ALL ((1u << HC_DOC_KIND_COUNT) - 1u)

/* "value-lists", "broadcast", "duplicates", "unused". */
const char *hc_doctor_kind_name(hc_doctor_kind k);
/* The kind with that name; -1 when none. */
int hc_doctor_kind_from_name(const char *name, size_t n);

typedef struct hc_doctor_options {
    uint32_t kinds;         /* bitmask of 1u << hc_doctor_kind to look for and fix; 0: all */
    size_t min_list_values; /* float_val, int_val ... lists from this many values (0: 64);
                               half_val is reported at any length when it holds every value */
    size_t min_bytes;       /* broadcast and duplicate constants from this many bytes (0: 64) */
    bool no_timing;         /* skip measuring (estimates are 0): for tests that compare reports */
} hc_doctor_options;

void hc_doctor_options_init(hc_doctor_options *o);

/* One finding. Strings are borrowed from the report. */
typedef struct hc_doctor_finding {
    hc_doctor_kind kind;
    int32_t node;          /* index in the report's graph (= the model's node order) */
    int32_t same_as;       /* DUPLICATE: the node that is kept; -1 otherwise */
    const char *same_name; /* DUPLICATE: its name; NULL otherwise */
    const char *name;      /* node name */
    const char *op;        /* op type */
    const char *storage;   /* "tensor_content", "half_val", "float_val" ...; "" for non-Const */
    hc_dtype dtype;        /* constant's dtype (HC_DT_INVALID for non-Const) */
    uint64_t values;       /* values stored in the file (elements for tensor_content) */
    uint64_t elems;        /* elements of the tensor */
    uint64_t bytes;        /* bytes of the node's weights as stored now */
    int64_t saved;         /* file bytes the fix saves (may be negative: small ints as varints) */
    double est_ms;         /* estimated load-time cost of the finding as it is now */
    bool fixable;          /* the fix handles it */
    bool superseded;       /* value list or broadcast of a node another fix removes */
    const char *fix;       /* what the fix does, or why it does not */
} hc_doctor_finding;

/* Totals of one kind. */
typedef struct hc_doctor_total {
    size_t findings, fixable;
    uint64_t values, bytes;
    int64_t saved;
    double est_ms;
    size_t by_field[18]; /* VALUE_LIST: findings per TensorProto *_val field number */
} hc_doctor_total;

/* How the estimates were made: the decode cost of one stored value, measured on this machine
 * with hc_tensor_values (halfcast's own decoder: the lower bound for any reader; protobuf
 * readers pay more, see benchmarks/seed.md) on the largest list of each wire type, best of a
 * few runs; tensor_content bytes at the rate of one copy of the largest packed constant. */
typedef struct hc_doctor_cost {
    double ns_per_value[3]; /* [0] varint lists, [1] 4-byte lists, [2] 8-byte lists */
    const char *sample[3];  /* node measured (NULL: none of that wire type; a default used) */
    uint64_t sample_values[3];
    double ns_per_byte; /* tensor_content */
    const char *byte_sample;
    int runs;
} hc_doctor_cost;

typedef struct hc_doctor_report {
    hc_ctx *ctx;
    hc_arena arena;
    hc_graph g;            /* private copy of the model's graph; the fix edits it */
    const hc_model *model; /* borrowed: must outlive the report */
    hc_doctor_options opts;
    hc_doctor_finding *items;
    size_t n_items, cap_items;
    hc_doctor_total total[HC_DOC_KIND_COUNT];
    hc_doctor_cost cost;
    bool fixed; /* hc_doctor_fix ran: the graph is edited */
} hc_doctor_report;

/* Analyse m. *out is owned by the caller (hc_doctor_report_free); m is borrowed and must
 * outlive the report. opts may be NULL. Returns HC_NOMEM, HC_MALFORMED (a constant whose
 * values cannot be decoded) with detail in ctx. Not thread-safe with respect to ctx. */
hc_status hc_doctor_analyze(hc_ctx *ctx, const hc_model *m, const hc_doctor_options *opts,
                            hc_doctor_report **out);
void hc_doctor_report_free(hc_doctor_report *r);

typedef struct hc_doctor_fix_stats {
    size_t fixed[HC_DOC_KIND_COUNT]; /* findings fixed per kind */
    size_t nodes_removed;
    uint64_t bytes_in, bytes_out;
} hc_doctor_fix_stats;

/* Apply every fixable finding to the report's graph and return the result as a new model
 * (*out, owned by the caller; format that of the input). The result is re-read, checked
 * (no more problems than the input has) and every constant compared with the input's
 * (values, dtype, shape; a removed duplicate against the node that replaced it); a mismatch
 * returns HC_CHECK and nothing. Once per report (HC_INVALID the second time). stats may be
 * NULL. */
hc_status hc_doctor_fix(hc_doctor_report *r, hc_model **out, hc_doctor_fix_stats *stats);

/* Write a fixed model atomically in fmt (AUTO: the input's format), refusing to write over
 * the file `in` was read from (HC_INVALID). */
hc_status hc_doctor_save(hc_ctx *ctx, const hc_model *in, const hc_model *fixed, const char *path,
                         hc_format fmt);
#endif
