/* verify.c - see verify.h. Both models run on each image; every output of A is compared with
 * B's output of the same name, and when the models have detection outputs their boxes are
 * matched. The verdict: detections found (>= min_match of A's boxes matched with the same
 * class, IoU and score tolerance), no NaN/Inf that A did not have, shapes equal, and the other
 * outputs within tensor_tol of A's range. */
#include "cli.h"
#include "verify.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

void hc_verify_opts_init(hc_verify_opts *o) {
    memset(o, 0, sizeof *o);
    hc_image_prep_init(&o->prep);
    hc_det_options_init(&o->det);
    o->min_match = 0.995;
    o->tensor_tol = 0.02;
}

static bool is_image(const char *name) {
    const char *dot = strrchr(name, '.');
    return dot &&
           (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".png"));
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool hc_verify_add_images(hc_verify_opts *o, const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return false;
    if (!S_ISDIR(st.st_mode)) {
        if (o->n_images < HC_VERIFY_MAX_IMAGES) o->images[o->n_images++] = strdup(path);
        return true;
    }
    DIR *d = opendir(path);
    if (!d) return false;
    int first = o->n_images;
    struct dirent *e;
    while ((e = readdir(d)) && o->n_images < HC_VERIFY_MAX_IMAGES) {
        if (e->d_name[0] == '.' || !is_image(e->d_name)) continue;
        size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *p = malloc(n);
        if (!p) break;
        snprintf(p, n, "%s/%s", path, e->d_name);
        o->images[o->n_images++] = p;
    }
    closedir(d);
    qsort(&o->images[first], (size_t)(o->n_images - first), sizeof(char *), cmp_str);
    return o->n_images > first;
}

typedef struct out_acc {
    const char *name;
    int b_index;
    hc_tensor_diff worst; /* largest max_abs relative to range */
    double worst_ratio;
    const char *worst_image;
    size_t bad_images;
    bool shape_differs, new_nonfinite, is_detection;
    size_t row;         /* >0: one row per detection on this image, compared on matches only */
    bool per_detection; /* row > 0 on some image */
    double row_max_abs, row_range; /* worst image's matched rows */
    double row_ratio;
    json_t *bad; /* images where it is out of tolerance */
} out_acc;

typedef struct verifier {
    hc_ctx *ctx;
    const hc_verify_opts *o;
    hc_session *sa, *sb;
    out_acc *outs;
    size_t n_outs;
    hc_det_outputs det;
    bool have_det, det_known;
    hc_det_report total;
    double iou_sum;
    json_t *images, *diffs;
    FILE *out;
} verifier;

static const char *image_input(const hc_session *s, const hc_verify_opts *o) {
    if (o->image_input) return o->image_input;
    for (size_t i = 0; i < hc_session_input_count(s); i++) {
        hc_io_info in;
        hc_session_input_info(s, i, &in);
        if (in.rank == 3 || in.rank == 4) return in.name;
    }
    return NULL;
}

/* Inputs for one model: the image (prepared for this model's dtype and size) and extras. */
static hc_status set_inputs(verifier *v, hc_session *s, const char *image, hc_npy *keep, int *nk) {
    const char *name = image_input(s, v->o);
    if (!name) return hc_fail(v->ctx, HC_INVALID, NULL, "no input takes an image (use --input)");
    hc_status st = hc_run_make_input(v->ctx, s, name, image, &v->o->prep, &keep[(*nk)]);
    if (st) return st;
    hc_npy *t = &keep[(*nk)++];
    hc_tensor ht = {t->dtype, t->rank, {0}, t->data};
    for (int d = 0; d < t->rank; d++)
        ht.dims[d] = t->dims[d];
    if ((st = hc_session_set_input(s, name, &ht))) return st;
    for (int i = 0; i < v->o->n_extra; i++) {
        const char *eq = strchr(v->o->extra[i], '=');
        if (!eq) return hc_fail(v->ctx, HC_INVALID, v->o->extra[i], "--extra takes NAME=VALUE");
        char nm[256];
        snprintf(nm, sizeof nm, "%.*s", (int)(eq - v->o->extra[i]), v->o->extra[i]);
        if ((st = hc_run_make_input(v->ctx, s, nm, eq + 1, &v->o->prep, &keep[(*nk)]))) return st;
        t = &keep[(*nk)++];
        hc_tensor et = {t->dtype, t->rank, {0}, t->data};
        for (int d = 0; d < t->rank; d++)
            et.dims[d] = t->dims[d];
        if ((st = hc_session_set_input(s, nm, &et))) return st;
    }
    return HC_OK;
}

static int named(const hc_session *s, const char *name) {
    for (size_t i = 0; i < hc_session_output_count(s); i++)
        if (name && !strcmp(hc_session_output_name(s, i), name)) return (int)i;
    return -1;
}

static hc_status setup_outputs(verifier *v) {
    v->n_outs = hc_session_output_count(v->sa);
    v->outs = calloc(v->n_outs + 1, sizeof *v->outs);
    if (!v->outs) return HC_NOMEM;
    for (size_t i = 0; i < v->n_outs; i++) {
        out_acc *a = &v->outs[i];
        a->name = hc_session_output_name(v->sa, i);
        a->b_index = named(v->sb, a->name);
        a->bad = json_array();
        if (a->b_index < 0)
            return hc_fail(v->ctx, HC_INVALID, a->name,
                           "the second model has no output of this name");
    }
    if (hc_session_output_count(v->sb) != v->n_outs)
        return hc_fail(v->ctx, HC_INVALID, NULL, "the models have %zu and %zu outputs", v->n_outs,
                       hc_session_output_count(v->sb));
    return HC_OK;
}

/* The detection outputs: named by flags, or found in A's outputs on the first image. */
static void find_detections(verifier *v, const hc_tensor *outs, const char **names) {
    v->det_known = true;
    const hc_verify_opts *o = v->o;
    if (o->boxes || o->scores) {
        v->det.boxes = named(v->sa, o->boxes);
        v->det.scores = named(v->sa, o->scores);
        v->det.classes = named(v->sa, o->classes);
        v->det.count = named(v->sa, o->count);
        v->have_det = v->det.boxes >= 0 && v->det.scores >= 0;
    } else {
        v->have_det = hc_find_detection_outputs(names, outs, v->n_outs, &v->det);
    }
    if (!v->have_det) return;
    int idx[4] = {v->det.boxes, v->det.scores, v->det.classes, v->det.count};
    for (int k = 0; k < 4; k++)
        if (idx[k] >= 0) v->outs[idx[k]].is_detection = true;
}

/* Which outputs hold one row per detection, image by image: models with a variable number of
 * detections (MTCNN's landmarks [N, 10]) only show it when N > 0. */
static void find_rows(verifier *v, const hc_tensor *outs) {
    for (size_t i = 0; i < v->n_outs; i++) {
        out_acc *a = &v->outs[i];
        a->row = a->is_detection ? 0 : hc_det_row_size(&outs[v->det.boxes], &outs[i]);
        if (a->row) a->per_detection = true;
    }
}

static void mark_bad(out_acc *a, const char *image) {
    a->bad_images++;
    if (json_array_size(a->bad) < 20) json_array_append_new(a->bad, json_string(image));
}

static void compare_output(verifier *v, size_t i, const hc_tensor *ta, const hc_tensor *tb,
                           const char *image) {
    out_acc *a = &v->outs[i];
    hc_tensor_diff d;
    hc_compare_tensors(ta, tb, &d);
    if (!d.same_shape) a->shape_differs = true;
    if (d.nan_b > d.nan_a || d.inf_b > d.inf_a) a->new_nonfinite = true;
    double ratio = d.range_a > 0 ? d.max_abs / d.range_a : d.max_abs;
    bool bad = !d.same_shape || d.nan_b > d.nan_a || d.inf_b > d.inf_a ||
               (!a->is_detection && !a->row && ratio > v->o->tensor_tol);
    if (bad) mark_bad(a, image);
    if (!a->worst_image || ratio > a->worst_ratio || !d.same_shape) {
        a->worst = d;
        a->worst_ratio = ratio;
        a->worst_image = image;
    }
}

static json_t *det_json(const hc_det *d) {
    return json_pack("{s:i, s:f, s:[f,f,f,f], s:i}", "class", d->cls, "score", d->score, "box",
                     d->box[0], d->box[1], d->box[2], d->box[3], "index", d->index);
}

static void record_diffs(verifier *v, const hc_det_report *r, const char *image) {
    static const char *const ISSUE[] = {"", "missing", "extra", "score"};
    for (size_t k = 0; k < r->n_diffs; k++) {
        const hc_det_diff *d = &r->diffs[k];
        json_t *e = json_pack("{s:s, s:s, s:s, s:f}", "image", image, "issue", ISSUE[d->issue],
                              "why", d->why, "iou", d->iou);
        if (d->issue != HC_DET_EXTRA) json_object_set_new(e, "fp32", det_json(&d->a));
        if (d->b.index >= 0) json_object_set_new(e, "fp16", det_json(&d->b));
        json_array_append_new(v->diffs, e);
    }
}

/* Outputs with one row per detection: compare the rows of matched boxes only. */
static void compare_rows(verifier *v, const hc_tensor *oa, const hc_tensor *ob,
                         const hc_det_report *r, const char *image) {
    for (size_t i = 0; i < v->n_outs; i++) {
        out_acc *a = &v->outs[i];
        if (!a->row) continue;
        double max_abs, range;
        hc_compare_det_rows(&oa[i], &ob[i], a->row, r->pairs, r->n_pairs, &max_abs, &range);
        double ratio = range > 0 ? max_abs / range : max_abs;
        if (ratio >= a->row_ratio) {
            a->row_ratio = ratio;
            a->row_max_abs = max_abs;
            a->row_range = range;
        }
        if (ratio > v->o->tensor_tol) mark_bad(a, image);
    }
}

static hc_status compare_detections(verifier *v, const hc_tensor *oa, const hc_tensor *ob,
                                    const char *image, json_t *img) {
    /* ob[] is already in A's order (matched by name), so the same indices apply. */
    hc_det_outputs wb = v->det;
    hc_det *da = NULL, *db = NULL;
    size_t na = 0, nb = 0;
    bool ok = hc_read_detections(oa, &v->det, &da, &na) && hc_read_detections(ob, &wb, &db, &nb);
    hc_det_report r;
    hc_status st = ok ? hc_compare_detections(da, na, db, nb, &v->o->det, &r) : HC_OK;
    free(da);
    free(db);
    if (!ok)
        return hc_fail(v->ctx, HC_INVALID, NULL, "%s: the detection outputs have unexpected shapes",
                       image);
    if (st) return st;
    hc_det_report *t = &v->total;
    t->a_count += r.a_count;
    t->b_count += r.b_count;
    t->matched += r.matched;
    t->missing += r.missing;
    t->extra += r.extra;
    t->score_off += r.score_off;
    if (r.matched && r.min_iou < t->min_iou) t->min_iou = r.min_iou;
    v->iou_sum += r.mean_iou * (double)r.matched;
    if (r.max_score_delta > t->max_score_delta) t->max_score_delta = r.max_score_delta;
    record_diffs(v, &r, image);
    compare_rows(v, oa, ob, &r, image);
    json_object_set_new(img, "detections",
                        json_pack("{s:I, s:I, s:I, s:I, s:I, s:f}", "fp32_boxes",
                                  (json_int_t)r.a_count, "matched", (json_int_t)r.matched,
                                  "missing", (json_int_t)r.missing, "extra", (json_int_t)r.extra,
                                  "score_off", (json_int_t)r.score_off, "min_iou",
                                  r.matched ? r.min_iou : 1.0));
    hc_det_report_fini(&r);
    return HC_OK;
}

static hc_status run_image(verifier *v, const char *image) {
    hc_npy keep[2 * (HC_RUN_MAX_INPUTS + 1)];
    int nk = 0;
    hc_status st = set_inputs(v, v->sa, image, keep, &nk);
    if (!st) st = set_inputs(v, v->sb, image, keep, &nk);
    if (!st) st = hc_session_run(v->sa);
    if (!st) st = hc_session_run(v->sb);
    hc_tensor *oa = calloc(v->n_outs + 1, sizeof *oa), *ob = calloc(v->n_outs + 1, sizeof *ob);
    const char **names = calloc(v->n_outs + 1, sizeof *names);
    if (!st && (!oa || !ob || !names)) st = HC_NOMEM;
    for (size_t i = 0; !st && i < v->n_outs; i++) {
        hc_session_output(v->sa, i, &oa[i]);
        hc_session_output(v->sb, (size_t)v->outs[i].b_index, &ob[i]);
        names[i] = v->outs[i].name;
    }
    if (!st && !v->det_known) find_detections(v, oa, names);
    if (!st && v->have_det) find_rows(v, oa);
    json_t *img = json_pack("{s:s}", "image", image);
    for (size_t i = 0; !st && i < v->n_outs; i++)
        compare_output(v, i, &oa[i], &ob[i], image);
    if (!st && v->have_det) st = compare_detections(v, oa, ob, image, img);
    json_array_append_new(v->images, img);
    free(oa);
    free(ob);
    free(names);
    for (int k = 0; k < nk; k++)
        hc_npy_fini(v->ctx, &keep[k]);
    return st;
}

static double found_share(const hc_det_report *t) {
    return t->a_count ? (double)(t->matched - t->score_off) / (double)t->a_count : 1.0;
}

static bool decide(const verifier *v, bool *outputs_ok) {
    *outputs_ok = true;
    for (size_t i = 0; i < v->n_outs; i++)
        if (v->outs[i].bad_images) *outputs_ok = false;
    if (!v->have_det) return *outputs_ok;
    return *outputs_ok && found_share(&v->total) >= v->o->min_match;
}

static void print_outputs(const verifier *v, FILE *f) {
    fprintf(f, "outputs (worst image for each):\n");
    for (size_t i = 0; i < v->n_outs; i++) {
        const out_acc *a = &v->outs[i];
        const hc_tensor_diff *d = &a->worst;
        const char *state = a->shape_differs   ? "SHAPE DIFFERS"
                            : a->new_nonfinite ? "NEW NaN/Inf"
                            : a->bad_images    ? "OUT OF TOLERANCE"
                            : a->is_detection  ? "detections (see below)"
                                               : "ok";
        if (a->per_detection && !a->shape_differs && !a->new_nonfinite)
            fprintf(f, "  %-30s max|d| %-9.3g of range %-9.3g in the rows of matched boxes  %s",
                    a->name, a->row_max_abs, a->row_range, a->bad_images ? state : "ok");
        else
            fprintf(f, "  %-30s max|d| %-9.3g of range %-9.3g cosine %.6f  %s", a->name, d->max_abs,
                    d->range_a, d->cosine, state);
        if (a->bad_images)
            fprintf(f, " on %zu image%s, e.g. %s", a->bad_images, a->bad_images > 1 ? "s" : "",
                    json_string_value(json_array_get(a->bad, 0)));
        fprintf(f, "\n");
    }
}

static void print_detections(const verifier *v, FILE *f) {
    const hc_det_report *t = &v->total;
    const hc_det_options *o = &v->o->det;
    fprintf(f,
            "detections (fp32 boxes with score >= %.2f; a match needs the same class, IoU >= "
            "%.2f, |score delta| <= %.3f):\n",
            (double)o->min_score, (double)o->iou, (double)o->score_tol);
    fprintf(f, "  fp32 boxes %zu, found %zu (%.2f%%), score moved %zu, missing %zu, extra %zu\n",
            t->a_count, t->matched - t->score_off, 100.0 * found_share(t), t->score_off, t->missing,
            t->extra);
    if (t->matched)
        fprintf(f, "  IoU of matches: min %.4f, mean %.4f; largest |score delta| %.4f\n",
                t->min_iou, v->iou_sum / (double)t->matched, t->max_score_delta);
    size_t n = json_array_size(v->diffs);
    for (size_t k = 0; k < n && k < 12; k++) {
        json_t *e = json_array_get(v->diffs, k);
        json_t *box =
            json_object_get(e, "fp32") ? json_object_get(e, "fp32") : json_object_get(e, "fp16");
        fprintf(f, "  %-7s %s: class %lld score %.3f: %s (best IoU %.2f)\n",
                json_string_value(json_object_get(e, "issue")),
                json_string_value(json_object_get(e, "image")),
                (long long)json_integer_value(json_object_get(box, "class")),
                json_real_value(json_object_get(box, "score")),
                json_string_value(json_object_get(e, "why")),
                json_real_value(json_object_get(e, "iou")));
    }
    if (n > 12) fprintf(f, "  ... %zu more differences (see --json)\n", n - 12);
}

static json_t *outputs_json(const verifier *v) {
    json_t *o = json_object();
    for (size_t i = 0; i < v->n_outs; i++) {
        const out_acc *a = &v->outs[i];
        json_object_set_new(
            o, a->name,
            json_pack("{s:f, s:f, s:f, s:f, s:s, s:b, s:b, s:I, s:O}", "max_abs", a->worst.max_abs,
                      "max_rel", a->worst.max_rel, "range", a->worst.range_a, "cosine",
                      a->worst.cosine, "worst_image", a->worst_image ? a->worst_image : "",
                      "shape_differs", a->shape_differs, "new_nonfinite", a->new_nonfinite,
                      "images_out_of_tolerance", (json_int_t)a->bad_images, "images", a->bad));
        if (a->per_detection)
            json_object_set_new(json_object_get(o, a->name), "matched_rows",
                                json_pack("{s:I, s:f, s:f}", "row_size", (json_int_t)a->row,
                                          "max_abs", a->row_max_abs, "range", a->row_range));
    }
    return o;
}

static json_t *report_json(const verifier *v, const char *na, const char *nb, bool pass) {
    const hc_det_report *t = &v->total;
    json_t *det = json_null();
    if (v->have_det)
        det = json_pack("{s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:O}", "fp32_boxes",
                        (json_int_t)t->a_count, "found", (json_int_t)(t->matched - t->score_off),
                        "score_moved", (json_int_t)t->score_off, "missing", (json_int_t)t->missing,
                        "extra", (json_int_t)t->extra, "found_share", found_share(t), "min_iou",
                        t->matched ? t->min_iou : 1.0, "mean_iou",
                        t->matched ? v->iou_sum / (double)t->matched : 1.0, "max_score_delta",
                        t->max_score_delta, "differences", v->diffs);
    const hc_det_options *o = &v->o->det;
    return json_pack("{s:s, s:s, s:b, s:{s:f, s:f, s:f, s:f, s:f}, s:o, s:o, s:O}", "a", na, "b",
                     nb, "pass", pass, "tolerance", "min_score", (double)o->min_score, "iou",
                     (double)o->iou, "score_tol", (double)o->score_tol, "min_found_share",
                     v->o->min_match, "tensor_tol", v->o->tensor_tol, "outputs", outputs_json(v),
                     "detections", det, "images", v->images);
}

static void verifier_fini(verifier *v) {
    for (size_t i = 0; v->outs && i < v->n_outs; i++)
        json_decref(v->outs[i].bad);
    free(v->outs);
    json_decref(v->images);
    json_decref(v->diffs);
    hc_session_free(v->sa);
    hc_session_free(v->sb);
}

hc_status hc_verify_models(hc_ctx *ctx, const char *name_a, const hc_model *a, const char *name_b,
                           const hc_model *b, const hc_verify_opts *o, FILE *out, bool *verdict,
                           json_t **report) {
    verifier v = {ctx,   o,   NULL, NULL,         NULL,         0,  {-1, -1, -1, -1}, false,
                  false, {0}, 0,    json_array(), json_array(), out};
    v.total.min_iou = 1.0;
    *verdict = false;
    *report = NULL;
    if (!o->n_images) return hc_fail(ctx, HC_INVALID, NULL, "no images to verify on");
    hc_status st = hc_session_new(ctx, a, NULL, &v.sa);
    if (!st) st = hc_session_new(ctx, b, NULL, &v.sb);
    if (!st) st = setup_outputs(&v);
    for (int i = 0; !st && i < o->n_images; i++) {
        hc_progress(ctx, "verifying", (double)i / o->n_images);
        st = run_image(&v, o->images[i]);
    }
    hc_progress(ctx, "verifying", 1.0);
    hc_cli_progress_done();
    if (!st) {
        bool outputs_ok;
        *verdict = decide(&v, &outputs_ok);
        if (out) {
            fprintf(out, "verify %s (A) against %s (B) on %d image%s\n", name_a, name_b,
                    o->n_images, o->n_images > 1 ? "s" : "");
            print_outputs(&v, out);
            if (v.have_det)
                print_detections(&v, out);
            else
                fprintf(out,
                        "no detection outputs found: outputs compared as tensors "
                        "(max |d| <= %.3g x range)\n",
                        o->tensor_tol);
            fprintf(out, "verdict: %s\n",
                    *verdict ? "PASS (B answers like A within tolerance)"
                             : "FAIL (see the outputs and images above)");
        }
        *report = report_json(&v, name_a, name_b, *verdict);
    }
    verifier_fini(&v);
    return st;
}
