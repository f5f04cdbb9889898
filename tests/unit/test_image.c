/* test_image.c - image decoding, resizing and tensor conversion against OpenCV: every photo
 * in ../shared/images and synthetic PNG/JPEG variants (all PNG color types and bit depths,
 * palettes, tRNS, interlacing; gray, progressive, restart-marker and CMYK JPEGs) decode to
 * exactly what cv2.imread gives; resizes agree with cv2.resize (bit for bit for the _CV
 * modes, within +-1 for the float bilinear); the preparation path reproduces the shared
 * models' reference inputs; corrupt, truncated and oversized files fail cleanly. The
 * references are made once per run by /usr/bin/python3 (numpy, cv2) into the temp dir. */
#include "common/testlib.h"

#include "base/fp16.h"
#include "image/image.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

/* The reference script (numpy + cv2), one line per string (ISO C caps literal lengths);
 * argv: out dir, images dir, photo names. */
/* clang-format off */
static const char *const REF_PY[] = {
    "# Reference data for test_image.c: OpenCV decodes and resizes, synthetic PNG/JPEG variants.\n",
    "import cv2, numpy as np, os, struct, sys, zlib\n",
    "out, src = sys.argv[1], sys.argv[2]\n",
    "photos = sys.argv[3:]\n",
    "def save(name, a): np.save(os.path.join(out, name), np.ascontiguousarray(a))\n",
    "def rgb(a): return a[:, :, ::-1] if a.ndim == 3 and a.shape[2] == 3 else a\n",
    "def decode_refs(path, base):\n",
    "    save(base + '.c3.npy', rgb(cv2.imread(path, cv2.IMREAD_COLOR)))\n",
    "    save(base + '.c1.npy', cv2.imread(path, cv2.IMREAD_GRAYSCALE))\n",
    "# Synthetic PNGs: every color type and bit depth, palettes, tRNS, Adam7 interlacing.\n",
    "def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))\n",
    "def pack(s, depth):\n",
    "    if depth == 8: return s.astype(np.uint8).tobytes()\n",
    "    if depth == 16: return s.astype('>u2').tobytes()\n",
    "    bits = ''.join(format(int(v), '0%db' % depth) for v in s)\n",
    "    bits += '0' * (-len(bits) % 8)\n",
    "    return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))\n",
    "ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]\n",
    "def write_png(path, img, ctype, depth, plte=None, trns=None, il=0):\n",
    "    h, w = img.shape[:2]\n",
    "    raw = b''\n",
    "    for x0, y0, dx, dy in (ADAM7 if il else [(0, 0, 1, 1)]):\n",
    "        sub = img[y0::dy, x0::dx]\n",
    "        if sub.shape[0] and sub.shape[1]:\n",
    "            for row in sub: raw += b'\\0' + pack(row.reshape(-1), depth)\n",
    "    d = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, ctype, 0, 0, il))\n",
    "    if plte is not None: d += chunk(b'PLTE', plte.astype(np.uint8).tobytes())\n",
    "    if trns is not None: d += chunk(b'tRNS', trns)\n",
    "    d += chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')\n",
    "    open(path, 'wb').write(d)\n",
    "rs = np.random.RandomState(7)\n",
    "def variant(name, ctype, depth, w=37, h=23, il=0, trns=False):\n",
    "    ch = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]\n",
    "    top = (1 << depth) - 1\n",
    "    img = rs.randint(0, top + 1, size=(h, w, ch)).astype(np.int64)\n",
    "    plte, t = None, None\n",
    "    if ctype == 3:\n",
    "        n = min(1 << depth, 200)\n",
    "        img %= n\n",
    "        plte = rs.randint(0, 256, size=(n, 3))\n",
    "    if trns and ctype == 3:\n",
    "        t = bytes(rs.randint(0, 256, size=n // 2).astype(np.uint8))\n",
    "    elif trns and ctype == 0:\n",
    "        t = struct.pack('>H', int(img[0, 0, 0]))\n",
    "    elif trns and ctype == 2:\n",
    "        t = struct.pack('>HHH', *[int(v) for v in img[0, 0]])\n",
    "    path = os.path.join(out, name + '.png')\n",
    "    write_png(path, img, ctype, depth, plte, t, il)\n",
    "    decode_refs(path, name)\n",
    "    # Expected RGBA, computed from the samples (what libpng's expansions must give).\n",
    "    if ctype == 3:\n",
    "        c = plte[img[:, :, 0]]\n",
    "        alpha = np.full(c.shape[:2], 255)\n",
    "        if t is not None:\n",
    "            at = np.frombuffer(t, np.uint8)\n",
    "            idx = img[:, :, 0]\n",
    "            alpha = np.where(idx < len(at), at[np.minimum(idx, len(at) - 1)], 255)\n",
    "    else:\n",
    "        if ctype in (0, 4): c = np.repeat(img[:, :, :1], 3, axis=2)\n",
    "        else: c = img[:, :, :3]\n",
    "        if ctype in (4, 6): alpha = img[:, :, -1]\n",
    "        elif t is not None:\n",
    "            key = img[0, 0, 0] if ctype == 0 else img[0, 0]\n",
    "            match = (img[:, :, 0] == key) if ctype == 0 else (img[:, :, :3] == key).all(axis=2)\n",
    "            alpha = np.where(match, 0, top)\n",
    "        else: alpha = np.full(c.shape[:2], top)\n",
    "        if depth == 16: c, alpha = c >> 8, alpha >> 8\n",
    "        elif depth < 8:\n",
    "            c = c * (255 // top)\n",
    "            alpha = np.where(alpha == top, 255, alpha * (255 // top))\n",
    "    save(name + '.c4.npy', np.dstack([c, alpha]).astype(np.uint8))\n",
    "for args in [('g1', 0, 1), ('g2', 0, 2), ('g4i', 0, 4, 37, 23, 1), ('g8t', 0, 8, 37, 23, 0, True),\n",
    "             ('g16', 0, 16), ('ga8', 4, 8), ('ga16i', 4, 16, 37, 23, 1), ('rgb8i', 2, 8, 37, 23, 1),\n",
    "             ('rgb16', 2, 16), ('rgb8t', 2, 8, 37, 23, 0, True), ('rgba8', 6, 8), ('rgba16', 6, 16),\n",
    "             ('p1', 3, 1), ('p4t', 3, 4, 37, 23, 0, True), ('p8', 3, 8), ('p2i', 3, 2, 37, 23, 1),\n",
    "             ('rgb1x1', 2, 8, 1, 1), ('g3x1i', 0, 8, 3, 1, 1)]:\n",
    "    variant(*args)\n",
    "# Synthetic JPEGs: gray, color, progressive, restart markers, optimized tables.\n",
    "yy, xx = np.mgrid[0:61, 0:83]\n",
    "smooth = np.dstack([(xx * 3) % 256, (yy * 4) % 256, (xx + yy) % 256]).astype(np.uint8)\n",
    "smooth = cv2.GaussianBlur(smooth, (5, 5), 0) ^ rs.randint(0, 16, size=smooth.shape).astype(np.uint8)\n",
    "for name, img, params in [('jgray', smooth[:, :, 1], [cv2.IMWRITE_JPEG_QUALITY, 90]),\n",
    "                          ('jcolor', smooth, [cv2.IMWRITE_JPEG_QUALITY, 80]),\n",
    "                          ('jprog', smooth, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]),\n",
    "                          ('jrst', smooth, [cv2.IMWRITE_JPEG_RST_INTERVAL, 2, cv2.IMWRITE_JPEG_OPTIMIZE, 1])]:\n",
    "    path = os.path.join(out, name + '.jpg')\n",
    "    cv2.imwrite(path, img, params)\n",
    "    decode_refs(path, name)\n",
    "if os.path.exists(os.path.join(out, 'jcmyk.jpg')): decode_refs(os.path.join(out, 'jcmyk.jpg'), 'jcmyk')\n",
    "# Oversized headers: must be refused before any pixel buffer is made.\n",
    "write_png(os.path.join(out, 'wide.png'), np.zeros((1, 1)), 0, 8)\n",
    "d = bytearray(open(os.path.join(out, 'wide.png'), 'rb').read())\n",
    "for name, w, h in [('wide', 40000, 1), ('huge', 20000, 20000)]:\n",
    "    ihdr = struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0)\n",
    "    d[8:33] = chunk(b'IHDR', ihdr)\n",
    "    open(os.path.join(out, name + '.png'), 'wb').write(bytes(d))\n",
    "# Photos: decodes, resizes (cv2 INTER_LINEAR and INTER_AREA; TF-style float bilinear and\n",
    "# nearest in numpy float32), and one full OpenCV-style preprocessing pipeline.\n",
    "SIZES = [(320, 320), (224, 224), (1024, 1024), (-2, -2), (-3, -3), (-4, -4), (37, 29), (128, 512)]\n",
    "RESIZE = ['bird_robin.jpg', 'cameraman_gray.png', 'street_bus_people.jpg', 'cat_closeup.png']\n",
    "def tf_taps(n_in, n_out):\n",
    "    scale = np.float32(n_in) / np.float32(n_out)\n",
    "    s = (np.arange(n_out, dtype=np.float32) + np.float32(0.5)) * scale - np.float32(0.5)\n",
    "    fl = np.floor(s)\n",
    "    lo = np.maximum(fl, 0).astype(int)\n",
    "    hi = np.minimum(np.ceil(s).astype(int), n_in - 1)\n",
    "    return lo, hi, (s - fl).astype(np.float32)\n",
    "def tf_bilinear(a, w, h):\n",
    "    a = a.astype(np.float32).reshape(a.shape[0], a.shape[1], -1)\n",
    "    xl, xh, fx = tf_taps(a.shape[1], w)\n",
    "    yl, yh, fy = tf_taps(a.shape[0], h)\n",
    "    fx = fx[None, :, None]\n",
    "    top = a[yl][:, xl] + (a[yl][:, xh] - a[yl][:, xl]) * fx\n",
    "    bot = a[yh][:, xl] + (a[yh][:, xh] - a[yh][:, xl]) * fx\n",
    "    return top + (bot - top) * fy[:, None, None]\n",
    "def tf_nearest(a, w, h):\n",
    "    def idx(n_in, n_out):\n",
    "        s = np.floor((np.arange(n_out, dtype=np.float32) + np.float32(0.5)) * (np.float32(n_in) / np.float32(n_out)))\n",
    "        return np.minimum(s.astype(int), n_in - 1)\n",
    "    return a[idx(a.shape[0], h)][:, idx(a.shape[1], w)]\n",
    "for p in photos:\n",
    "    base = os.path.splitext(p)[0]\n",
    "    decode_refs(os.path.join(src, p), base)\n",
    "    if p not in RESIZE: continue\n",
    "    a = cv2.imread(os.path.join(src, p), cv2.IMREAD_UNCHANGED)\n",
    "    a = rgb(a)\n",
    "    for w, h in SIZES:\n",
    "        w = a.shape[1] // -w if w < 0 else w\n",
    "        h = a.shape[0] // -h if h < 0 else h\n",
    "        tag = '%s.%dx%d' % (base, w, h)\n",
    "        save(tag + '.lin.npy', cv2.resize(a, (w, h), interpolation=cv2.INTER_LINEAR))\n",
    "        save(tag + '.area.npy', cv2.resize(a, (w, h), interpolation=cv2.INTER_AREA))\n",
    "        if w * h <= 320 * 320: save(tag + '.f32.npy', tf_bilinear(a, w, h))\n",
    "        save(tag + '.nn.npy', tf_nearest(a, w, h))\n",
    "if 'bird_robin.jpg' in photos:\n",
    "    b = cv2.imread(os.path.join(src, 'bird_robin.jpg'), cv2.IMREAD_COLOR)\n",
    "    r = cv2.resize(b, (300, 300), interpolation=cv2.INTER_LINEAR).astype(np.float32)\n",
    "    save('pipeline.npy', ((r - np.float32([104, 117, 123])) * np.float32(0.5)).transpose(2, 0, 1)[None])\n",
};
/* clang-format on */

static const char *const PHOTOS[] = {"astronaut_portrait.png",
                                     "bird_eagle.jpg",
                                     "bird_robin.jpg",
                                     "cafe_indoor_people_chairs.jpg",
                                     "cameraman_gray.png",
                                     "car_rear_motion_blur.jpg",
                                     "cat_closeup.png",
                                     "city_street_cars.jpg",
                                     "coffee_cup.png",
                                     "crowd_selfie_many_small_faces.jpg",
                                     "fruits_closeup.jpg",
                                     "group_photo_many_faces.jpg",
                                     "horses_herd.jpg",
                                     "indoor_two_people_gray.png",
                                     "man_tie_bottle.jpg",
                                     "motorcycle_garage.png",
                                     "park_bench_two_people.jpg",
                                     "person_dog_horse.jpg",
                                     "person_laptop_indoor.jpg",
                                     "rocket_launch_night.jpg",
                                     "soccer_player_ball_crowd.jpg",
                                     "street_bus_people.jpg",
                                     "street_sign_car_people.jpg",
                                     "three_people_indoor.jpg",
                                     "truck_stop_sign_person.jpg",
                                     "two_men_ties.jpg"};
#define N_PHOTOS (sizeof PHOTOS / sizeof PHOTOS[0])

static const char *const SYNTH[] = {"g1",    "g2",     "g4i",   "g8t",   "g16",    "ga8",
                                    "ga16i", "rgb8i",  "rgb16", "rgb8t", "rgba8",  "rgba16",
                                    "p1",    "p4t",    "p8",    "p2i",   "rgb1x1", "g3x1i",
                                    "jgray", "jcolor", "jprog", "jrst",  "jcmyk"};
#define N_SYNTH (sizeof SYNTH / sizeof SYNTH[0])

/* Resize cases, as in the script: negative sizes divide the source size. */
static const char *const RESIZE[] = {"bird_robin.jpg", "cameraman_gray.png",
                                     "street_bus_people.jpg", "cat_closeup.png"};
static const int SIZES[][2] = {{320, 320}, {224, 224}, {1024, 1024}, {-2, -2},
                               {-3, -3},   {-4, -4},   {37, 29},     {128, 512}};

static bool g_refs;   /* the script ran: references exist */
static bool g_photos; /* ../shared/images is there */

static bool is_ci(void) {
    const char *ci = getenv("CI");
    return ci && !strcmp(ci, "true");
}

/* A CMYK (YCCK-coded, Adobe marker) JPEG, which cv2 cannot write: made with libjpeg. */
static void write_cmyk_jpeg(const char *path) {
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr err;
    ci.err = jpeg_std_error(&err);
    jpeg_create_compress(&ci);
    unsigned char *buf = NULL;
    unsigned long n = 0;
    jpeg_mem_dest(&ci, &buf, &n);
    ci.image_width = 45;
    ci.image_height = 31;
    ci.input_components = 4;
    ci.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, 90, TRUE);
    jpeg_start_compress(&ci, TRUE);
    uint8_t row[45 * 4];
    while (ci.next_scanline < ci.image_height) {
        for (int x = 0; x < 45 * 4; x++)
            row[x] = (uint8_t)((unsigned)x * 7u + ci.next_scanline * 5u);
        JSAMPROW r = row;
        jpeg_write_scanlines(&ci, &r, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    assert_int_equal(hc_test_write(path, buf, n), 0);
    free(buf);
}

static int make_refs(void **state) {
    (void)state;
    g_photos = hc_test_has_shared("images/MANIFEST.md");
    if (!g_photos && is_ci()) hc_test_shared("images/MANIFEST.md"); /* fails under CI */
    const char *script = hc_test_tmp("ref.py");
    FILE *f = fopen(script, "w");
    for (size_t i = 0; f && i < sizeof REF_PY / sizeof REF_PY[0]; i++)
        fputs(REF_PY[i], f);
    if (!f || fclose(f)) return -1;
    write_cmyk_jpeg(hc_test_tmp("jcmyk.jpg"));
    char names[4096] = "";
    size_t len = 0;
    for (size_t i = 0; g_photos && i < N_PHOTOS && len < sizeof names; i++)
        len += (size_t)snprintf(names + len, sizeof names - len, " %s", PHOTOS[i]);
    int rc = hc_test_sh("/usr/bin/python3 %s %s %s %s 2>/dev/null", script, hc_test_tmpdir(),
                        g_photos ? hc_test_shared("images") : "-", names);
    g_refs = rc == 0;
    if (!g_refs) fprintf(stderr, "reference script failed (python3 with numpy and cv2?)\n");
    return !g_refs && is_ci() ? -1 : 0;
}

static hc_npy load_ref(hc_ctx *ctx, const char *name) {
    hc_npy a;
    if (hc_npy_read(ctx, hc_test_tmp(name), &a)) fail_msg("%s", hc_ctx_message(ctx));
    return a;
}

/* Differences between an 8-bit image and an (h, w) or (h, w, c) uint8 reference. */
static size_t diff_u8(const hc_image *im, const hc_npy *ref, int *maxd, const char *what) {
    int c = ref->rank == 2 ? 1 : (int)ref->dims[2];
    if (ref->dtype != HC_DT_UINT8 || ref->dims[0] != im->h || ref->dims[1] != im->w || c != im->c)
        fail_msg("%s: got %dx%dx%d, reference %lldx%lldx%d", what, im->w, im->h, im->c,
                 (long long)ref->dims[1], (long long)ref->dims[0], c);
    const uint8_t *r = ref->data;
    size_t n = (size_t)im->w * (size_t)im->h * (size_t)im->c, bad = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)im->px[i] - (int)r[i]);
        if (d) bad++;
        if (d > *maxd) *maxd = d;
    }
    return bad;
}

static void expect_same(hc_ctx *ctx, const hc_image *im, const char *ref_name) {
    hc_npy ref = load_ref(ctx, ref_name);
    int maxd = 0;
    size_t bad = diff_u8(im, &ref, &maxd, ref_name);
    if (bad) fail_msg("%s: %zu values differ (max %d)", ref_name, bad, maxd);
    hc_npy_fini(ctx, &ref);
}

static bool skip_without_refs(bool need_photos) {
    if (!g_refs || (need_photos && !g_photos)) {
        skip();
        return true;
    }
    return false;
}

/* Channels 1 and 3 against cv2 GRAYSCALE and COLOR; 0 (as stored) against whichever
 * matches; 4 against the RGBA expected from the samples (PNG) or RGB + 255 (JPEG). */
static void check_decodes(hc_ctx *ctx, const char *path, const char *base, bool rgba_ref) {
    char ref[256];
    hc_image_options o;
    hc_image_options_init(&o);
    static const int chans[] = {1, 3, 0, 4};
    for (int i = 0; i < 4; i++) {
        o.channels = chans[i];
        hc_image im;
        if (hc_image_load(ctx, path, &o, &im)) fail_msg("%s", hc_ctx_message(ctx));
        if (chans[i] == 4 && !rgba_ref) {
            snprintf(ref, sizeof ref, "%s.c3.npy", base);
            hc_npy r = load_ref(ctx, ref);
            const uint8_t *p = r.data;
            for (size_t k = 0; k < (size_t)im.w * (size_t)im.h; k++)
                if (memcmp(im.px + 4 * k, p + 3 * k, 3) != 0 || im.px[4 * k + 3] != 255)
                    fail_msg("%s: RGBA pixel %zu differs from RGB + 255", path, k);
            hc_npy_fini(ctx, &r);
        } else {
            int c = chans[i] ? chans[i] : im.c;
            assert_true(c == 1 || c == 3 || c == 4);
            snprintf(ref, sizeof ref, "%s.c%d.npy", base, c);
            expect_same(ctx, &im, ref);
        }
        hc_image_fini(ctx, &im);
    }
}

static void photos_decode_like_opencv(void **state) {
    (void)state;
    if (skip_without_refs(true)) return;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    size_t pixels = 0;
    for (size_t i = 0; i < N_PHOTOS; i++) {
        char base[128], path[4096];
        snprintf(base, sizeof base, "%.*s", (int)(strrchr(PHOTOS[i], '.') - PHOTOS[i]), PHOTOS[i]);
        snprintf(path, sizeof path, "%s/%s", hc_test_shared("images"), PHOTOS[i]);
        check_decodes(ctx, path, base, false);
        hc_image im;
        assert_int_equal(hc_image_load(ctx, path, NULL, &im), HC_OK);
        pixels += (size_t)im.w * (size_t)im.h;
        bool gray = strstr(PHOTOS[i], "_gray") != NULL;
        assert_int_equal(im.c, gray ? 1 : 3);
        hc_image_fini(ctx, &im);
    }
    printf("decode: %zu photos, %zu pixels, identical to cv2.imread (COLOR and GRAYSCALE)\n",
           N_PHOTOS, pixels);
    hc_ctx_free(ctx);
}

static void synthetic_files_decode_like_opencv(void **state) {
    (void)state;
    if (skip_without_refs(false)) return;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    for (size_t i = 0; i < N_SYNTH; i++) {
        bool jpeg = SYNTH[i][0] == 'j';
        char name[64];
        snprintf(name, sizeof name, "%s.%s", SYNTH[i], jpeg ? "jpg" : "png");
        check_decodes(ctx, hc_test_tmp(name), SYNTH[i], !jpeg);
        /* memory and file give the same pixels */
        size_t n;
        uint8_t *bytes = hc_test_read(hc_test_tmp(name), &n);
        hc_image a, b;
        assert_int_equal(hc_image_decode(ctx, bytes, n, NULL, &a), HC_OK);
        assert_int_equal(hc_image_load(ctx, hc_test_tmp(name), NULL, &b), HC_OK);
        assert_int_equal(a.w * a.h * a.c, b.w * b.h * b.c);
        assert_memory_equal(a.px, b.px, (size_t)(a.w * a.h * a.c));
        hc_image_fini(ctx, &a);
        hc_image_fini(ctx, &b);
        free(bytes);
    }
    hc_ctx_free(ctx);
}

/* ---- resize --------------------------------------------------------------------------- */

typedef struct resize_stats {
    size_t values, bilinear_diff, cases;
    int bilinear_max;
} resize_stats;

static void check_resize_case(hc_ctx *ctx, const hc_image *src, const char *tag, resize_stats *st) {
    char *end;
    int w = (int)strtol(strrchr(tag, '.') + 1, &end, 10), h = (int)strtol(end + 1, NULL, 10);
    char ref[256];
    hc_image r;
    int maxd = 0;
    static const struct {
        hc_resize_mode mode;
        const char *ext;
    } exact[] = {
        {HC_RESIZE_LINEAR_CV, "lin"}, {HC_RESIZE_AREA_CV, "area"}, {HC_RESIZE_NEAREST, "nn"}};
    for (size_t m = 0; m < 3; m++) {
        assert_int_equal(hc_image_resize(ctx, src, w, h, exact[m].mode, &r), HC_OK);
        snprintf(ref, sizeof ref, "%s.%s.npy", tag, exact[m].ext);
        expect_same(ctx, &r, ref);
        hc_image_fini(ctx, &r);
    }
    /* Float bilinear: within 1 of cv2's fixed point. */
    assert_int_equal(hc_image_resize(ctx, src, w, h, HC_RESIZE_BILINEAR, &r), HC_OK);
    snprintf(ref, sizeof ref, "%s.lin.npy", tag);
    hc_npy lin = load_ref(ctx, ref);
    st->bilinear_diff += diff_u8(&r, &lin, &maxd, ref);
    st->values += (size_t)w * (size_t)h * (size_t)src->c;
    st->bilinear_max = HC_MAX(st->bilinear_max, maxd);
    st->cases++;
    assert_true(maxd <= 1);
    hc_npy_fini(ctx, &lin);
    /* ... and exactly TF's float arithmetic (numpy float32), rounded or not. */
    snprintf(ref, sizeof ref, "%s.f32.npy", tag);
    if (w * h <= 320 * 320) {
        hc_npy f = load_ref(ctx, ref);
        size_t n = (size_t)w * (size_t)h * (size_t)src->c;
        float *out = malloc(n * sizeof *out);
        assert_int_equal(hc_image_resize_f32(ctx, src, w, h, out, n), HC_OK);
        assert_int_equal(f.nbytes, n * 4);
        assert_memory_equal(out, f.data, n * 4);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(r.px[i], (int)floorf(out[i] + 0.5f));
        free(out);
        hc_npy_fini(ctx, &f);
    }
    hc_image_fini(ctx, &r);
}

static void resize_matches_opencv(void **state) {
    (void)state;
    if (skip_without_refs(true)) return;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    resize_stats st = {0};
    for (size_t i = 0; i < sizeof RESIZE / sizeof RESIZE[0]; i++) {
        char path[4096], base[128], tag[200];
        snprintf(path, sizeof path, "%s/%s", hc_test_shared("images"), RESIZE[i]);
        snprintf(base, sizeof base, "%.*s", (int)(strrchr(RESIZE[i], '.') - RESIZE[i]), RESIZE[i]);
        hc_image src;
        assert_int_equal(hc_image_load(ctx, path, NULL, &src), HC_OK);
        for (size_t k = 0; k < sizeof SIZES / sizeof SIZES[0]; k++) {
            int w = SIZES[k][0] < 0 ? src.w / -SIZES[k][0] : SIZES[k][0];
            int h = SIZES[k][1] < 0 ? src.h / -SIZES[k][1] : SIZES[k][1];
            snprintf(tag, sizeof tag, "%s.%dx%d", base, w, h);
            check_resize_case(ctx, &src, tag, &st);
        }
        hc_image_fini(ctx, &src);
    }
    printf("resize: %zu cases; LINEAR_CV, AREA_CV identical to cv2.resize, NEAREST identical "
           "to TF's formula; BILINEAR vs cv2 INTER_LINEAR: %zu of %zu values differ (%.3f%%), "
           "max %d\n",
           st.cases, st.bilinear_diff, st.values,
           100.0 * (double)st.bilinear_diff / (double)st.values, st.bilinear_max);
    hc_ctx_free(ctx);
}

static void resize_edge_cases(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    hc_image one, r;
    assert_int_equal(hc_image_alloc(ctx, 1, 1, 3, &one), HC_OK);
    memcpy(one.px, "\x0a\x14\x1e", 3);
    for (int m = 0; m <= HC_RESIZE_AREA_CV; m++) { /* 1x1 up to 5x3: a constant image */
        assert_int_equal(hc_image_resize(ctx, &one, 5, 3, (hc_resize_mode)m, &r), HC_OK);
        for (int i = 0; i < 15; i++)
            assert_memory_equal(r.px + (size_t)(3 * i), one.px, 3);
        hc_image back;
        assert_int_equal(hc_image_resize(ctx, &r, 1, 1, (hc_resize_mode)m, &back), HC_OK);
        assert_memory_equal(back.px, one.px, 3);
        hc_image_fini(ctx, &back);
        hc_image_fini(ctx, &r);
    }
    assert_int_equal(hc_image_resize(ctx, &one, 0, 3, HC_RESIZE_BILINEAR, &r), HC_INVALID);
    hc_ctx_clear(ctx);
    assert_int_equal(hc_image_resize(ctx, &one, 3, 3, (hc_resize_mode)9, &r), HC_INVALID);
    hc_ctx_clear(ctx);
    float f[4];
    assert_int_equal(hc_image_resize_f32(ctx, &one, 2, 2, f, 4), HC_INVALID);
    hc_image_fini(ctx, &one);
    hc_ctx_free(ctx);
}

/* ---- tensors -------------------------------------------------------------------------- */

static void layout_and_normalization(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    hc_image im;
    assert_int_equal(hc_image_alloc(ctx, 3, 2, 3, &im), HC_OK);
    for (int i = 0; i < 18; i++)
        im.px[i] = (uint8_t)(i * 13 + 1); /* (y, x, k) = i */
    hc_image_prep p;
    hc_image_prep_init(&p);
    hc_npy t;
    for (int layout = 0; layout < 2; layout++) {
        for (int dt = 0; dt < 3; dt++) {
            for (int bgr = 0; bgr < 2; bgr++) {
                p.layout = (hc_layout)layout;
                p.dtype = dt == 0 ? HC_DT_UINT8 : dt == 1 ? HC_DT_FLOAT : HC_DT_HALF;
                p.bgr = bgr;
                float mean[3] = {0, 0, 0}, scale[3] = {1, 1, 1};
                if (dt) mean[0] = 10.5f, mean[1] = 20.f, mean[2] = -3.f, scale[2] = 1 / 255.f;
                memcpy(p.mean, mean, sizeof mean);
                memcpy(p.scale, scale, sizeof scale);
                assert_int_equal(hc_image_to_tensor(ctx, &im, &p, &t), HC_OK);
                assert_int_equal(t.rank, 4);
                int64_t want[4] = {1, layout ? 3 : 2, layout ? 2 : 3, 3}; /* C=3, H=2, W=3 */
                assert_memory_equal(t.dims, want, sizeof want);
                for (int y = 0; y < 2; y++)
                    for (int x = 0; x < 3; x++)
                        for (int k = 0; k < 3; k++) {
                            int from = (y * 3 + x) * 3 + (bgr ? 2 - k : k);
                            size_t to = layout ? (size_t)(k * 6 + y * 3 + x)
                                               : (size_t)((y * 3 + x) * 3 + k);
                            float v = ((float)im.px[from] - mean[k]) * scale[k];
                            if (dt == 0) assert_int_equal(((uint8_t *)t.data)[to], im.px[from]);
                            if (dt == 1) assert_true(((float *)t.data)[to] == v);
                            if (dt == 2)
                                assert_int_equal(((uint16_t *)t.data)[to], hc_f32_to_f16(v));
                        }
                hc_npy_fini(ctx, &t);
            }
        }
    }
    /* uint8 cannot carry normalization; channels must match */
    p.dtype = HC_DT_UINT8;
    assert_int_equal(hc_image_to_tensor(ctx, &im, &p, &t), HC_INVALID);
    hc_ctx_clear(ctx);
    hc_image_prep_init(&p);
    p.channels = 1;
    assert_int_equal(hc_image_to_tensor(ctx, &im, &p, &t), HC_INVALID);
    hc_ctx_clear(ctx);
    p.channels = 3;
    p.dtype = HC_DT_INT32;
    assert_int_equal(hc_image_to_tensor(ctx, &im, &p, &t), HC_INVALID);
    hc_image_fini(ctx, &im);
    hc_ctx_free(ctx);
}

/* hc_image_prepare on mtcnn's test image reproduces the shared models' ref/input.npy (made
 * with cv2.resize INTER_AREA), and an OpenCV-style BGR/NCHW/mean pipeline. */
static void prepare_reproduces_references(void **state) {
    (void)state;
    if (!hc_test_has_shared("models/tf/mtcnn-blaueck/test_image.jpg") && !is_ci()) {
        skip();
        return;
    }
    const char *img = hc_test_shared("models/tf/mtcnn-blaueck/test_image.jpg");
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    static const struct {
        const char *ref;
        int size;
        bool m1p1;
    } cases[] = {{"handtrack-ssd320-fpnlite-tf2od", 320, false},
                 {"human-faceboxes", 1024, false},
                 {"human-blazeface", 256, true}};
    for (size_t i = 0; i < 3; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "models/tf/%s/ref/input.npy", cases[i].ref);
        hc_npy ref, t;
        assert_int_equal(hc_npy_read(ctx, hc_test_shared(rel), &ref), HC_OK);
        hc_image_prep p;
        hc_image_prep_init(&p);
        p.height = p.width = cases[i].size;
        p.resize = HC_RESIZE_AREA_CV;
        if (cases[i].m1p1) {
            p.dtype = HC_DT_FLOAT;
            for (int k = 0; k < 3; k++)
                p.mean[k] = 127.5f, p.scale[k] = 1 / 127.5f;
        }
        if (hc_image_prepare(ctx, img, &p, &t)) fail_msg("%s", hc_ctx_message(ctx));
        assert_int_equal(t.dtype, ref.dtype);
        assert_memory_equal(t.dims, ref.dims, 4 * sizeof t.dims[0]);
        assert_int_equal(t.nbytes, ref.nbytes);
        if (!cases[i].m1p1) {
            assert_memory_equal(t.data, ref.data, t.nbytes);
        } else { /* x / 127.5 - 1 in the reference, (x - 127.5) * (1 / 127.5) here */
            float maxd = 0;
            for (size_t k = 0; k < t.nbytes / 4; k++)
                maxd = fmaxf(maxd, fabsf(((float *)t.data)[k] - ((float *)ref.data)[k]));
            printf("prepare: %s float [-1, 1] input within %.3g of the reference\n", cases[i].ref,
                   (double)maxd);
            assert_true(maxd <= 2.5e-7f);
        }
        hc_npy_fini(ctx, &t);
        hc_npy_fini(ctx, &ref);
    }
    hc_ctx_free(ctx);
}

static void prepare_matches_opencv_pipeline(void **state) {
    (void)state;
    if (skip_without_refs(true)) return;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    hc_image_prep p;
    hc_image_prep_init(&p);
    p.height = p.width = 300;
    p.resize = HC_RESIZE_LINEAR_CV;
    p.layout = HC_LAYOUT_NCHW;
    p.dtype = HC_DT_FLOAT;
    p.bgr = true;
    float mean[3] = {104, 117, 123};
    for (int k = 0; k < 3; k++)
        p.mean[k] = mean[k], p.scale[k] = 0.5f;
    char path[4096];
    snprintf(path, sizeof path, "%s/bird_robin.jpg", hc_test_shared("images"));
    hc_npy t, ref = load_ref(ctx, "pipeline.npy");
    if (hc_image_prepare(ctx, path, &p, &t)) fail_msg("%s", hc_ctx_message(ctx));
    assert_memory_equal(t.dims, ref.dims, sizeof t.dims);
    assert_int_equal(t.nbytes, ref.nbytes);
    assert_memory_equal(t.data, ref.data, t.nbytes);
    hc_npy_fini(ctx, &t);
    /* Unknown model dims keep the image size; float_resize leaves values unrounded. */
    p.height = p.width = -1;
    p.layout = HC_LAYOUT_NHWC;
    assert_int_equal(hc_image_prepare(ctx, path, &p, &t), HC_OK);
    assert_int_equal(t.dims[1], 254);
    assert_int_equal(t.dims[2], 380);
    hc_npy_fini(ctx, &t);
    p.height = p.width = 33;
    p.resize = HC_RESIZE_BILINEAR;
    p.float_resize = true;
    p.dtype = HC_DT_HALF;
    assert_int_equal(hc_image_prepare(ctx, path, &p, &t), HC_OK);
    assert_int_equal(t.nbytes, 33 * 33 * 3 * 2);
    hc_npy_fini(ctx, &t);
    hc_npy_fini(ctx, &ref);
    hc_ctx_free(ctx);
}

/* ---- bad input ------------------------------------------------------------------------ */

static hc_status decode_status(hc_ctx *ctx, const uint8_t *p, size_t n) {
    hc_ctx_clear(ctx);
    hc_image im;
    hc_status s = hc_image_decode(ctx, p, n, NULL, &im);
    if (s) assert_null(im.px);
    hc_image_fini(ctx, &im);
    return s;
}

static void expect_malformed(hc_ctx *ctx, const uint8_t *p, size_t n, const char *kind) {
    hc_status s = decode_status(ctx, p, n);
    if (s != HC_MALFORMED) fail_msg("%s: status %d: %s", kind, s, hc_ctx_message(ctx));
    assert_non_null(strstr(hc_ctx_message(ctx), kind));
}

static void corrupt_and_truncated_files(void **state) {
    (void)state;
    if (skip_without_refs(false)) return;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    static const char *const files[] = {"jcolor.jpg", "jprog.jpg", "jrst.jpg",
                                        "rgb8i.png",  "p4t.png",   "rgba16.png"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t n;
        uint8_t *b = hc_test_read(hc_test_tmp(files[f]), &n);
        bool jpeg = strstr(files[f], ".jpg") != NULL;
        const char *kind = jpeg ? "corrupt JPEG" : "corrupt PNG";
        /* Truncation anywhere past the magic: header, tables, image data, trailer. */
        size_t cuts[] = {jpeg ? 3 : 8, 20, 40, n / 3, n / 2, n - 40, n - 3};
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
            expect_malformed(ctx, b, cuts[i], kind);
        /* Damaged bytes: an error or a (garbled) image, never a crash. */
        uint32_t seed = 12345;
        int errors = 0;
        for (int trial = 0; trial < 200; trial++) {
            uint8_t *c = malloc(n);
            memcpy(c, b, n);
            for (int k = 0; k < 4; k++) {
                seed = seed * 1103515245u + 12345u;
                c[(seed >> 8) % n] ^= (uint8_t)(1u << (seed % 8));
            }
            hc_status s = decode_status(ctx, c, n);
            assert_true(s == HC_OK || s == HC_MALFORMED || s == HC_UNSUPPORTED || s == HC_LIMIT);
            errors += s != HC_OK;
            free(c);
        }
        printf("corrupt: %s: %d of 200 damaged copies rejected, the rest decoded\n", files[f],
               errors);
        free(b);
    }
    /* A PNG whose IHDR CRC is wrong, and unknown or empty data. */
    size_t n;
    uint8_t *b = hc_test_read(hc_test_tmp("rgb8i.png"), &n);
    b[30] ^= 1;
    expect_malformed(ctx, b, n, "CRC");
    free(b);
    assert_int_equal(decode_status(ctx, (const uint8_t *)"GIF89a\1\0\1\0\0\0", 12), HC_UNSUPPORTED);
    assert_int_equal(decode_status(ctx, (const uint8_t *)"", 0), HC_MALFORMED);
    hc_image im;
    hc_ctx_clear(ctx);
    assert_int_equal(hc_image_load(ctx, hc_test_tmp("missing.png"), NULL, &im), HC_IO);
    assert_non_null(strstr(hc_ctx_message(ctx), "missing.png"));
    hc_ctx_free(ctx);
}

static void oversized_images_are_refused(void **state) {
    (void)state;
    if (skip_without_refs(false)) return;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    hc_image im;
    for (int i = 0; i < 2; i++) {
        hc_ctx_clear(ctx);
        const char *f = hc_test_tmp(i ? "huge.png" : "wide.png");
        assert_int_equal(hc_image_load(ctx, f, NULL, &im), HC_LIMIT);
        assert_non_null(strstr(hc_ctx_message(ctx), "exceeds the limits"));
    }
    /* A JPEG whose SOF claims 40000 x 61 (libjpeg allows up to 65500). */
    size_t n;
    uint8_t *b = hc_test_read(hc_test_tmp("jcolor.jpg"), &n);
    for (size_t i = 0; i + 9 < n; i++) {
        if (b[i] == 0xff && b[i + 1] == 0xc0) {
            b[i + 7] = 40000 >> 8;
            b[i + 8] = 40000 & 0xff;
            break;
        }
    }
    hc_ctx_clear(ctx);
    assert_int_equal(hc_image_decode(ctx, b, n, NULL, &im), HC_LIMIT);
    free(b);
    /* The caller's lower limit. */
    hc_image_options o;
    hc_image_options_init(&o);
    o.max_pixels = 1000;
    hc_ctx_clear(ctx);
    assert_int_equal(hc_image_load(ctx, hc_test_tmp("jcolor.jpg"), &o, &im), HC_LIMIT);
    hc_ctx_clear(ctx);
    o.max_pixels = 0;
    o.channels = 2;
    assert_int_equal(hc_image_load(ctx, hc_test_tmp("jcolor.jpg"), &o, &im), HC_INVALID);
    hc_ctx_free(ctx);
}

/* Failing the k-th allocation: HC_NOMEM or success, nothing leaked (ASan checks). */
static void allocation_failures(void **state) {
    (void)state;
    if (skip_without_refs(false)) return;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    static const char *const files[] = {"jcmyk.jpg", "jprog.jpg", "p2i.png", "rgba16.png"};
    for (size_t f = 0; f < 4; f++) {
        hc_image_prep p;
        hc_image_prep_init(&p);
        p.height = p.width = 17;
        p.dtype = HC_DT_FLOAT;
        for (uint64_t k = 1; k < 12; k++) {
            hc_ctx_clear(ctx);
            ctx->alloc_count = 0;
            ctx->fail_at = k;
            hc_npy t;
            hc_status s = hc_image_prepare(ctx, hc_test_tmp(files[f]), &p, &t);
            assert_true(s == HC_OK || s == HC_NOMEM);
            hc_npy_fini(ctx, &t);
        }
    }
    ctx->fail_at = 0;
    hc_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(photos_decode_like_opencv),
        cmocka_unit_test(synthetic_files_decode_like_opencv),
        cmocka_unit_test(resize_matches_opencv),
        cmocka_unit_test(resize_edge_cases),
        cmocka_unit_test(layout_and_normalization),
        cmocka_unit_test(prepare_reproduces_references),
        cmocka_unit_test(prepare_matches_opencv_pipeline),
        cmocka_unit_test(corrupt_and_truncated_files),
        cmocka_unit_test(oversized_images_are_refused),
        cmocka_unit_test(allocation_failures),
    };
    return cmocka_run_group_tests(tests, make_refs, NULL);
}
