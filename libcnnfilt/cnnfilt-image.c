/* cnnfilt-image.c: image files <-> tensors, through libvips
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cnnfilt-image.h"
#include "cnnfilt-error.h"
#include "cnnfilt-npy.h"
#include "cnnfilt-png-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

/* libvips 8.14 has no autoptr support of its own */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VipsImage, g_object_unref)

G_DEFINE_FLAGS_TYPE (CnnfiltLoadFlags, cnnfilt_load_flags,
                     G_DEFINE_ENUM_VALUE (CNNFILT_LOAD_DEFAULT, "default"),
                     G_DEFINE_ENUM_VALUE (CNNFILT_LOAD_NO_AUTOROTATE, "no-autorotate"))

/* Formats that keep float32 values exactly; all others are 8-bit. */
static const gchar *const float_suffixes[] = { "tif", "tiff", "v", "vips", "pfm", "csv", "mat", "npy",
                                               NULL };

/* What `cnnfilt` picks out of folders; an explicitly named file of any
 * suffix is still tried. */
static const gchar *const image_suffixes[] = {
  "jpg", "jpeg", "jpe", "png", "tif", "tiff", "webp", "gif", "bmp", "pnm", "ppm", "pgm", "pbm",
  "pfm", "v", "vips", "heic", "heif", "avif", "jxl", "jp2", "exr", "fits", "svg", "pdf", "hdr",
  "csv", "mat", "npy", NULL
};

/* What a libvips loader may be trusted with. */
typedef enum {
  /* raster formats libcnnfilt claims: whatever the file's name */
  LOADER_RASTER,
  /* documents rendered to pixels: only in files named for them, as a
   * folder of photos should hold none */
  LOADER_VECTOR,
  /* libraries that read many formats, or none that we claim: only with
   * CNNFILT_TRUSTED_INPUT=1 */
  LOADER_UNTRUSTED,
} LoaderKind;

/* libvips' loaders by class, the file loader being the class or the class
 * with "File" appended (VipsForeignLoadJpegFile); any loader not here is
 * untrusted. */
static const struct {
  const gchar *class_name;
  const gchar *format;
  LoaderKind kind;
  const gchar *suffix;
} loaders[] = {
  { "VipsForeignLoadJpeg", "JPEG", LOADER_RASTER, NULL },
  { "VipsForeignLoadPng", "PNG", LOADER_RASTER, NULL },
  { "VipsForeignLoadWebp", "WebP", LOADER_RASTER, NULL },
  { "VipsForeignLoadTiff", "TIFF", LOADER_RASTER, NULL },
  { "VipsForeignLoadNsgif", "GIF", LOADER_RASTER, NULL },
  { "VipsForeignLoadGif", "GIF", LOADER_RASTER, NULL },
  { "VipsForeignLoadHeif", "HEIF", LOADER_RASTER, NULL },
  { "VipsForeignLoadJxl", "JPEG XL", LOADER_RASTER, NULL },
  { "VipsForeignLoadJp2k", "JPEG 2000", LOADER_RASTER, NULL },
  { "VipsForeignLoadPpm", "PPM", LOADER_RASTER, NULL },
  { "VipsForeignLoadRad", "Radiance HDR", LOADER_RASTER, NULL },
  { "VipsForeignLoadOpenexr", "OpenEXR", LOADER_RASTER, NULL },
  { "VipsForeignLoadFits", "FITS", LOADER_RASTER, NULL },
  { "VipsForeignLoadVips", "VIPS", LOADER_RASTER, NULL },
  { "VipsForeignLoadCsv", "CSV", LOADER_RASTER, NULL },
  { "VipsForeignLoadMatrix", "matrix", LOADER_RASTER, NULL },
  { "VipsForeignLoadMat", "MATLAB", LOADER_RASTER, NULL },
  { "VipsForeignLoadSvg", "SVG", LOADER_VECTOR, "svg" },
  { "VipsForeignLoadPdf", "PDF", LOADER_VECTOR, "pdf" },
  { "VipsForeignLoadMagick", "ImageMagick", LOADER_UNTRUSTED, NULL },
  { "VipsForeignLoadMagick7", "ImageMagick", LOADER_UNTRUSTED, NULL },
  { "VipsForeignLoadOpenslide", "OpenSlide", LOADER_UNTRUSTED, NULL },
};

/* CNNFILT_TRUSTED_INPUT=1: every loader of libvips may read every file. */
static gboolean trusted_input;

/* libvips prints warnings as it works ("VIPS-WARNING **: error in tile 0
 * x 24"): raw lines on the terminal, about failures the caller already has
 * as errors naming the file. They become info messages of our domain,
 * shown with G_MESSAGES_DEBUG=Cnnfilt, and a message repeated (a failed
 * load runs twice, see run_vips) is shown once. */
static void
forward_vips_message (const gchar *domain, GLogLevelFlags level, const gchar *message,
                      gpointer data)
{
  static GMutex lock;
  static gchar *last;
  g_mutex_lock (&lock);
  gboolean repeated = g_strcmp0 (message, last) == 0;
  if (!repeated)
    {
      g_free (last);
      last = g_strdup (message);
    }
  g_mutex_unlock (&lock);
  if (!repeated)
    g_info ("libvips: %s", message);
}

static void
ensure_vips (void)
{
  static gsize done = 0;
  if (g_once_init_enter (&done))
    {
      if (VIPS_INIT ("cnnfilt") != 0)
        g_error ("libvips failed to start: %s", vips_error_buffer ());
      /* Threads belong to the caller: one image per worker in batches. */
      vips_concurrency_set (1);
      /* The operation cache keys loads by file name: a file saved again
       * under the same name would load with its old contents. */
      vips_cache_set_max (0);
      /* Folders are filtered by suffix, but libvips picks its loader by
       * the contents: an SVG named .jpg would be rendered, a truncated
       * TIFF read by ImageMagick. libvips marks the loaders not meant for
       * hostile files; the formats we claim are allowed again, and each
       * load checks the loader it gets (check_loader). Savers write our
       * own tensors. */
      trusted_input = g_strcmp0 (g_getenv ("CNNFILT_TRUSTED_INPUT"), "1") == 0;
      if (!trusted_input)
        {
          vips_block_untrusted_set (TRUE);
          for (guint i = 0; i < G_N_ELEMENTS (loaders); i++)
            if (loaders[i].kind != LOADER_UNTRUSTED)
              vips_operation_block_set (loaders[i].class_name, FALSE);
          vips_operation_block_set ("VipsForeignSave", FALSE);
        }
      /* Fatal ones (G_DEBUG=fatal-warnings) still go to GLib's handler,
       * so that they are printed before the abort. */
      g_log_set_handler ("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_FLAG_RECURSION,
                         forward_vips_message, NULL);
      g_once_init_leave (&done, 1);
    }
}

static gchar *
suffix_of (const gchar *path)
{
  g_autofree gchar *base = g_path_get_basename (path);
  const gchar *dot = strrchr (base, '.');
  return g_ascii_strdown (dot ? dot + 1 : "", -1);
}

static gboolean
suffix_in (const gchar *path, const gchar *const *list)
{
  g_autofree gchar *suffix = suffix_of (path);
  return g_strv_contains (list, suffix);
}

/* Whether @path, whose contents libvips gave to @loader, may be read. */
static gboolean
check_loader (const gchar *path, const gchar *loader, GError **error)
{
  if (trusted_input)
    return TRUE;
  guint found = G_N_ELEMENTS (loaders);
  for (guint i = 0; i < G_N_ELEMENTS (loaders) && found == G_N_ELEMENTS (loaders); i++)
    {
      gsize length = strlen (loaders[i].class_name);
      if (strncmp (loader, loaders[i].class_name, length) == 0 &&
          (loader[length] == '\0' || g_str_equal (loader + length, "File")))
        found = i;
    }
  LoaderKind kind = found < G_N_ELEMENTS (loaders) ? loaders[found].kind : LOADER_UNTRUSTED;
  if (kind == LOADER_RASTER)
    return TRUE;

  g_autofree gchar *format = NULL;
  if (found < G_N_ELEMENTS (loaders))
    format = g_strdup (loaders[found].format);
  else
    {
      /* VipsForeignLoadAnalyze, VipsForeignLoadRawFile: Analyze, Raw */
      format = g_strdup (g_str_has_prefix (loader, "VipsForeignLoad") ?
                           loader + strlen ("VipsForeignLoad") : loader);
      if (g_str_has_suffix (format, "File") && strlen (format) > 4)
        format[strlen (format) - 4] = '\0';
    }
  if (kind == LOADER_UNTRUSTED)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                   "%s: libvips would read this content with its %s loader, which is not "
                   "safe with untrusted files; refused (set CNNFILT_TRUSTED_INPUT=1 for "
                   "trusted files)", path, format);
      return FALSE;
    }

  const gchar *wanted = loaders[found].suffix;
  g_autofree gchar *suffix = suffix_of (path);
  g_autofree gchar *lower = g_ascii_strdown (path, -1);
  if (g_str_equal (suffix, wanted) ||
      (g_str_equal (wanted, "svg") &&
       (g_str_equal (suffix, "svgz") || g_str_has_suffix (lower, ".svg.gz"))))
    return TRUE;
  if (*suffix)
    g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                 "%s: content is %s, not what the .%s suffix says; refused (set "
                 "CNNFILT_TRUSTED_INPUT=1 for trusted files)", path, format, suffix);
  else
    g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                 "%s: content is %s, in a file not named .%s; refused (set "
                 "CNNFILT_TRUSTED_INPUT=1 for trusted files)", path, format, wanted);
  return FALSE;
}

/**
 * cnnfilt_image_format_is_float:
 * @path: a file name
 *
 * Returns: whether the format chosen by @path's suffix keeps float32 values
 *   exactly (`.tif`, `.v`, `.pfm`, `.csv`, `.mat`, `.npy`); other formats are
 *   saved as 8-bit
 */
gboolean
cnnfilt_image_format_is_float (const gchar *path)
{
  return suffix_in (path, float_suffixes);
}

/**
 * cnnfilt_image_format_is_known:
 * @path: a file name
 *
 * Returns: whether @path has the suffix of an image format, the test
 *   `cnnfilt` uses to pick images out of folders
 */
gboolean
cnnfilt_image_format_is_known (const gchar *path)
{
  return suffix_in (path, image_suffixes);
}

/* Moves libvips' error text into @error, after @path when it is given. */
static void
set_vips_error (GError **error, gint code, const gchar *path, const gchar *what)
{
  g_autofree gchar *text = vips_error_buffer_copy ();
  g_strstrip (text);
  /* libvips lines read "loader: message"; keep the last, most specific one. */
  gchar *last = strrchr (text, '\n');
  const gchar *message = last ? last + 1 : text;
  g_set_error (error, CNNFILT_ERROR, code, "%s%s%s%s%s", path ? path : "", path ? ": " : "",
               what, *message ? ": " : "", message);
}

/* libvips keeps one error buffer for the whole process: while several
 * threads load, the reason for one file's failure may be taken by another
 * thread's error, or come with another file's text. So every use of
 * libvips here holds this lock as a reader, and a step that failed runs
 * again holding it as the writer, when no other libvips work is under way:
 * the buffer then holds that file's reason alone. Failures are rare; loads
 * that succeed never wait for each other. */
static GRWLock vips_lock;

/* A piece of libvips work: on failure it sets @error, or leaves it and
 * says in *@failure what failed, libvips' reason being in its buffer. */
typedef gboolean (*VipsStep) (gpointer data, const gchar **failure, GError **error);

static gboolean
run_vips (VipsStep step, gpointer data, gint code, const gchar *path, GError **error)
{
  const gchar *failure = NULL;
  g_rw_lock_reader_lock (&vips_lock);
  gboolean ok = step (data, &failure, error);
  g_rw_lock_reader_unlock (&vips_lock);
  if (ok || failure == NULL)
    return ok;

  g_rw_lock_writer_lock (&vips_lock);
  vips_error_clear ();
  failure = NULL;
  ok = step (data, &failure, error);
  if (!ok && failure != NULL)
    set_vips_error (error, code, path, failure);
  g_rw_lock_writer_unlock (&vips_lock);
  return ok;
}

/* Refuses, from the file's metadata alone, what cannot be an image: a FIFO
 * would block the first read and a device may never end, so they are never
 * opened. */
static gboolean
check_file (const gchar *path, GError **error)
{
  GStatBuf st;
  if (g_stat (path, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_IO, "%s: %s", path, g_strerror (saved));
      return FALSE;
    }
  if (S_ISDIR (st.st_mode))
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_IO, "%s: is a folder", path);
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_IO, "%s: not a regular file", path);
      return FALSE;
    }
  if (st.st_size == 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT, "%s: empty file", path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_pixels (const gchar *path, guint64 width, guint64 height, guint64 max_pixels,
              GError **error)
{
  if (max_pixels == 0 || width * height <= max_pixels)
    return TRUE;
  g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
               "%s: %" G_GUINT64_FORMAT "×%" G_GUINT64_FORMAT " exceeds the limit of %"
               G_GUINT64_FORMAT " pixels (max-pixels)", path, width, height, max_pixels);
  return FALSE;
}

/* One load, as the caller asked for it. */
typedef struct {
  const gchar *path;
  CnnfiltLoadFlags flags;
  guint64 max_pixels;
  guint shrink_to;
} LoadRequest;

/* Opens @path with the loader libvips chose for its contents, if that
 * loader may read it (check_loader); only the header is read.
 * fail_on=error turns truncated and corrupt data into errors instead of
 * grey fill; sequential access decodes in one pass. The loader is called by
 * name, so the file is not probed a second time. Returns NULL with @error
 * set, or NULL with *@failure set when libvips failed (its text is then in
 * its error buffer). */
static VipsImage *
open_header (const gchar *path, const gchar **loader, const gchar **failure, GError **error)
{
  *loader = vips_foreign_find_load (path);
  if (*loader == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT,
                   "%s: not an image in a format libvips can read", path);
      return NULL;
    }
  if (!check_loader (path, *loader, error))
    return NULL;
  VipsImage *image = NULL;
  if (vips_call (*loader, path, &image, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                 VIPS_FAIL_ON_ERROR, NULL) != 0)
    {
      *failure = "cannot read image";
      return NULL;
    }
  return image;
}

static gboolean
swaps_sides (VipsImage *image, CnnfiltLoadFlags flags)
{
  return !(flags & CNNFILT_LOAD_NO_AUTOROTATE) && vips_image_get_orientation_swap (image);
}

/* Brings any image to 1 to 4 bands of uchar, ushort or float; lazily, so
 * that it also tells the channel count from the header. */
static VipsImage *
normalise_image (VipsImage *image)
{
  VipsImage *current = g_object_ref (image);
  VipsImage *next = NULL;

  if (vips_image_get_coding (current) != VIPS_CODING_NONE)
    {
      if (vips_image_decode (current, &next) != 0)
        goto fail;
      g_object_unref (current), current = next;
    }
  VipsInterpretation interpretation = vips_image_get_interpretation (current);
  if (interpretation == VIPS_INTERPRETATION_CMYK || interpretation == VIPS_INTERPRETATION_LAB ||
      interpretation == VIPS_INTERPRETATION_XYZ || interpretation == VIPS_INTERPRETATION_LCH)
    {
      if (vips_colourspace (current, &next, VIPS_INTERPRETATION_sRGB, NULL) != 0)
        goto fail;
      g_object_unref (current), current = next;
    }
  VipsBandFormat format = vips_image_get_format (current);
  if (format != VIPS_FORMAT_UCHAR && format != VIPS_FORMAT_USHORT && format != VIPS_FORMAT_FLOAT)
    {
      if (vips_cast_float (current, &next, NULL) != 0)
        goto fail;
      g_object_unref (current), current = next;
    }
  return current;

fail:
  g_object_unref (current);
  return NULL;
}

/* The factor by which an image whose shorter side is @side may shrink so
 * that the side stays at least twice @shrink_to: the caller's resize to
 * @shrink_to then still sees more pixels than it keeps. 1 for no shrink. */
static guint
shrink_factor (guint side, guint shrink_to)
{
  if (shrink_to == 0 || side <= 2 * (guint64) shrink_to)
    return 1;
  return side / (2 * shrink_to);
}

/* Reopens @image reduced by the decoder when its format can: JPEG decodes
 * its DCT blocks at 1/2, 1/4 or 1/8 size, WebP scales while decoding. The
 * memory and time then follow the reduced size. */
static VipsImage *
shrink_on_load (const gchar *path, const gchar *loader, VipsImage *image, guint factor)
{
  VipsImage *out = NULL;
  int status = 0;
  if (g_str_has_prefix (loader, "VipsForeignLoadJpeg"))
    {
      gint shrink = factor >= 8 ? 8 : factor >= 4 ? 4 : 2;
      status = vips_call (loader, path, &out, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                          VIPS_FAIL_ON_ERROR, "shrink", shrink, NULL);
    }
  else if (g_str_has_prefix (loader, "VipsForeignLoadWebp"))
    status = vips_call (loader, path, &out, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                        VIPS_FAIL_ON_ERROR, "scale", 1.0 / factor, NULL);
  else
    return g_object_ref (image);
  return status == 0 ? out : NULL;
}

/* Interleaved pixels as libvips decoded them. */
typedef struct {
  gpointer pixels;
  VipsBandFormat format;
  guint bands;
  guint width;
  guint height;
} Decoded;

typedef struct {
  const LoadRequest *request;
  Decoded decoded;
} DecodeJob;

/* Everything libvips does for one load, from the file name to interleaved
 * pixels; a VipsStep. */
static gboolean
decode (gpointer data, const gchar **failure, GError **error)
{
  DecodeJob *job = data;
  const LoadRequest *request = job->request;
  Decoded *decoded = &job->decoded;
  const gchar *path = request->path;
  const gchar *loader = NULL;
  *failure = NULL;

  g_autoptr (VipsImage) header = open_header (path, &loader, failure, error);
  if (header == NULL)
    return FALSE;
  gboolean swap = swaps_sides (header, request->flags);
  guint width = header->Xsize, height = header->Ysize;
  /* Shrinking streams: what is held is the reduced image, so the limit is
   * on that (a 30000×30000 photo for a 224×224 model costs what 536×536 does). */
  guint reduce = shrink_factor (MIN (width, height), request->shrink_to);
  if (!check_pixels (path, (swap ? height : width) / reduce, (swap ? width : height) / reduce,
                     request->max_pixels, error))
    return FALSE;

  g_autoptr (VipsImage) current = NULL;
  guint factor = shrink_factor (MIN (width, height), request->shrink_to);
  if (factor > 1)
    current = shrink_on_load (path, loader, header, factor);
  else
    current = g_object_ref (header);
  if (current == NULL)
    {
      *failure = "cannot read image";
      return FALSE;
    }

  g_autoptr (VipsImage) image = normalise_image (current);
  if (image == NULL)
    {
      *failure = "cannot convert image";
      return FALSE;
    }
  /* What the decoder could not shrink, a box filter does, as it streams. */
  guint rest = shrink_factor (MIN (image->Xsize, image->Ysize), request->shrink_to);
  if (rest > 1)
    {
      VipsImage *smaller = NULL;
      if (vips_shrink (image, &smaller, rest, rest, NULL) != 0)
        {
          *failure = "cannot shrink image";
          return FALSE;
        }
      g_object_unref (image), image = smaller;
    }
  /* Turning needs the pixels in another order than the file's: decode to
   * memory first, as sequential reading only goes top to bottom. */
  if (!(request->flags & CNNFILT_LOAD_NO_AUTOROTATE) && vips_image_get_orientation (header) != 1)
    {
      VipsImage *memory = vips_image_copy_memory (image);
      if (memory == NULL)
        {
          *failure = "cannot decode image";
          return FALSE;
        }
      VipsImage *upright = NULL;
      int status = vips_autorot (memory, &upright, NULL);
      g_object_unref (memory);
      if (status != 0)
        {
          *failure = "cannot turn image upright";
          return FALSE;
        }
      g_object_unref (image), image = upright;
    }

  size_t size = 0;
  decoded->pixels = vips_image_write_to_memory (image, &size);
  if (decoded->pixels == NULL)
    {
      *failure = "cannot decode image";
      return FALSE;
    }
  decoded->format = vips_image_get_format (image);
  decoded->bands = image->Bands;
  decoded->width = image->Xsize;
  decoded->height = image->Ysize;
  return TRUE;
}

/* Interleaved pixels to planar floats in [0, 1], in one pass over the
 * pixels; the loops are specialised per channel count so that they unroll.
 * Samples are divided by 255 or 65535 exactly, as PyTorch's to_tensor does. */
#define DEINTERLEAVE(type, CONVERT)                                            \
  G_STMT_START {                                                               \
    const type *in = pixels;                                                   \
    switch (bands)                                                             \
      {                                                                        \
      case 1:                                                                  \
        for (gsize i = 0; i < n_pixels; i++)                                   \
          planes[i] = CONVERT (in[i]);                                         \
        break;                                                                 \
      case 3:                                                                  \
        for (gsize i = 0; i < n_pixels; i++)                                   \
          {                                                                    \
            planes[i] = CONVERT (in[3 * i]);                                   \
            planes[n_pixels + i] = CONVERT (in[3 * i + 1]);                    \
            planes[2 * n_pixels + i] = CONVERT (in[3 * i + 2]);                \
          }                                                                    \
        break;                                                                 \
      default:                                                                 \
        for (gsize i = 0; i < n_pixels; i++)                                   \
          for (guint b = 0; b < bands; b++)                                    \
            planes[b * n_pixels + i] = CONVERT (in[bands * i + b]);            \
      }                                                                        \
  } G_STMT_END

/* For bytes, a table of the 256 quotients: the same values as dividing,
 * without a division per sample. */
static gfloat byte_quotients[256];

#define FROM_BYTE(v) byte_quotients[v]
#define FROM_USHORT(v) ((v) / 65535.0f)
#define FROM_FLOAT(v) (v)

static void
deinterleave (const void *pixels, VipsBandFormat format, guint bands, gsize n_pixels,
              gfloat *restrict planes)
{
  static gsize table_ready = 0;
  if (g_once_init_enter (&table_ready))
    {
      for (guint v = 0; v < 256; v++)
        byte_quotients[v] = v / 255.0f;
      g_once_init_leave (&table_ready, 1);
    }
  if (format == VIPS_FORMAT_UCHAR)
    DEINTERLEAVE (guint8, FROM_BYTE);
  else if (format == VIPS_FORMAT_USHORT)
    DEINTERLEAVE (guint16, FROM_USHORT);
  else
    DEINTERLEAVE (gfloat, FROM_FLOAT);
}

static gboolean
load_npy (const gchar *path, CnnfiltTensor *tensor, guint64 max_pixels, GError **error)
{
  g_autoptr (CnnfiltTensor) array = cnnfilt_tensor_new_from_npy_file (path, error);
  if (array == NULL)
    return FALSE;
  CnnfiltShape shape;
  cnnfilt_tensor_get_shape (array, &shape);
  /* An .npy file is not compressed: its size already bounds the memory. */
  if (!check_pixels (path, shape.w, shape.h, max_pixels, error) ||
      !cnnfilt_tensor_set_shape (tensor, &shape, error))
    return FALSE;
  memcpy (cnnfilt_tensor_get_data (tensor, NULL), cnnfilt_tensor_get_data (array, NULL),
          cnnfilt_shape_get_size (&shape) * sizeof (gfloat));
  return TRUE;
}

/**
 * cnnfilt_image_load_full:
 * @path: (type filename): an image file in any format libvips reads, or a
 *   `.npy` array
 * @tensor: the tensor to fill; it is reshaped to `1 × bands × height ×
 *   width` and keeps its buffer when that is large enough
 * @flags: how to load
 * @max_pixels: the largest width × height to decode, or 0 for no limit; it
 *   is checked on the file's header, before any pixel is decoded, against
 *   the size the image is decoded to (reduced when @shrink_to applies)
 * @shrink_to: 0, or the size the caller will resize the shorter side to;
 *   see below
 * @error: return location for a #GError
 *
 * Loads an image as float32 values: 8-bit images are divided by 255 and
 * 16-bit ones by 65535, so values are in [0, 1]; float images keep their
 * values. Grey, grey + alpha, RGB and RGBA give 1 to 4 channels; CMYK and
 * Lab are converted to sRGB first. Corrupt or truncated files are errors,
 * never partly grey images. Unless @flags has
 * %CNNFILT_LOAD_NO_AUTOROTATE, an image with an EXIF orientation is turned
 * upright, so that width and height are those of the image as shown.
 *
 * When @shrink_to is not 0 and the image's shorter side is more than twice
 * @shrink_to, the image is decoded reduced, by the largest factor the
 * decoder offers that keeps the shorter side at least twice @shrink_to:
 * JPEG decodes at 1/2, 1/4 or 1/8 size, WebP scales while decoding, and
 * what remains (or any other format) is shrunk by a whole factor with a
 * box filter as it streams. A photo of many megapixels then costs memory in
 * proportion to its reduced size. Images whose shorter side is at most twice
 * @shrink_to load exactly as with @shrink_to 0.
 *
 * Refused without being opened: folders and anything that is not a regular
 * file (FIFOs, devices, sockets). Refused before decoding: images of more
 * than @max_pixels pixels once reduced, with an error of code
 * %CNNFILT_ERROR_UNSUPPORTED that reads `PATH: W×H exceeds the limit of N
 * pixels (max-pixels)`.
 *
 * A `.npy` file is read as the array it holds (any batch size); only
 * @max_pixels applies, to its height × width.
 *
 * Returns: %TRUE on success; errors start with @path
 */
gboolean
cnnfilt_image_load_full (const gchar *path, CnnfiltTensor *tensor, CnnfiltLoadFlags flags,
                         guint64 max_pixels, guint shrink_to, GError **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (CNNFILT_IS_TENSOR (tensor), FALSE);
  ensure_vips ();

  if (!check_file (path, error))
    return FALSE;
  g_autofree gchar *suffix = suffix_of (path);
  if (g_str_equal (suffix, "npy"))
    return load_npy (path, tensor, max_pixels, error);

  LoadRequest request = { path, flags, max_pixels, shrink_to };
  DecodeJob job = { &request, { 0 } };
  if (!run_vips (decode, &job, CNNFILT_ERROR_FORMAT, path, error))
    return FALSE;
  Decoded decoded = job.decoded;
  g_autofree gpointer pixels = decoded.pixels;
  CnnfiltShape shape = { 1, decoded.bands, decoded.height, decoded.width };
  if (!cnnfilt_tensor_set_shape (tensor, &shape, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  deinterleave (pixels, decoded.format, shape.c, (gsize) shape.h * shape.w,
                cnnfilt_tensor_get_data (tensor, NULL));
  return TRUE;
}

/**
 * cnnfilt_image_load_into:
 * @path: (type filename): an image file in any format libvips reads
 * @tensor: the tensor to fill; it is reshaped to `1 × bands × height ×
 *   width` and keeps its buffer when that is large enough
 * @error: return location for a #GError
 *
 * Loads an image with the defaults of cnnfilt_image_load_full(): turned
 * upright by its EXIF orientation, at most
 * %CNNFILT_IMAGE_DEFAULT_MAX_PIXELS pixels, at full size.
 *
 * Returns: %TRUE on success; errors start with @path
 */
gboolean
cnnfilt_image_load_into (const gchar *path, CnnfiltTensor *tensor, GError **error)
{
  return cnnfilt_image_load_full (path, tensor, CNNFILT_LOAD_DEFAULT,
                                  CNNFILT_IMAGE_DEFAULT_MAX_PIXELS, 0, error);
}

/**
 * cnnfilt_image_load:
 * @path: (type filename): an image file in any format libvips reads
 * @error: return location for a #GError
 *
 * Loads an image into a new `1 × channels × height × width` tensor; see
 * cnnfilt_image_load_into().
 *
 * Returns: (transfer full): the image, or %NULL with an error naming @path
 */
CnnfiltTensor *
cnnfilt_image_load (const gchar *path, GError **error)
{
  CnnfiltTensor *tensor = g_object_new (CNNFILT_TYPE_TENSOR, NULL);
  if (!cnnfilt_image_load_into (path, tensor, error))
    g_clear_object (&tensor);
  return tensor;
}

/* The size and channels a load would give, from the header. */
typedef struct {
  const gchar *path;
  guint width;
  guint height;
  guint channels;
} ProbeJob;

static gboolean
probe (gpointer data, const gchar **failure, GError **error)
{
  ProbeJob *job = data;
  const gchar *loader = NULL;
  *failure = NULL;
  g_autoptr (VipsImage) header = open_header (job->path, &loader, failure, error);
  if (header == NULL)
    return FALSE;
  g_autoptr (VipsImage) image = normalise_image (header);
  if (image == NULL)
    {
      *failure = "cannot convert image";
      return FALSE;
    }
  gboolean swap = swaps_sides (header, CNNFILT_LOAD_DEFAULT);
  job->width = swap ? image->Ysize : image->Xsize;
  job->height = swap ? image->Xsize : image->Ysize;
  job->channels = image->Bands;
  return TRUE;
}

/**
 * cnnfilt_image_read_header:
 * @path: (type filename): an image file in any format libvips reads, or a
 *   `.npy` array
 * @width: (out) (optional): the width cnnfilt_image_load() would give
 * @height: (out) (optional): the height cnnfilt_image_load() would give
 * @channels: (out) (optional): the channels cnnfilt_image_load() would give
 * @error: return location for a #GError
 *
 * Reads what an image holds from its header, without decoding its pixels:
 * width and height are those of the image turned upright by its EXIF
 * orientation (swapped for orientations 5 to 8), as cnnfilt_image_load()
 * gives them. The same files are refused as by cnnfilt_image_load_full().
 * A `.npy` file is read whole.
 *
 * Returns: %TRUE on success; errors start with @path
 */
gboolean
cnnfilt_image_read_header (const gchar *path, guint *width, guint *height, guint *channels,
                           GError **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  ensure_vips ();

  guint w = 0, h = 0, c = 0;
  if (!check_file (path, error))
    return FALSE;
  g_autofree gchar *suffix = suffix_of (path);
  if (g_str_equal (suffix, "npy"))
    {
      g_autoptr (CnnfiltTensor) array = cnnfilt_tensor_new_from_npy_file (path, error);
      if (array == NULL)
        return FALSE;
      w = cnnfilt_tensor_get_w (array), h = cnnfilt_tensor_get_h (array);
      c = cnnfilt_tensor_get_c (array);
    }
  else
    {
      ProbeJob job = { path, 0, 0, 0 };
      if (!run_vips (probe, &job, CNNFILT_ERROR_FORMAT, path, error))
        return FALSE;
      w = job.width, h = job.height, c = job.channels;
    }
  if (width)
    *width = w;
  if (height)
    *height = h;
  if (channels)
    *channels = c;
  return TRUE;
}

/* Text formats written here rather than by libvips, with %.9g so that every
 * float32 reads back exactly. `.csv` is comma-separated; `.mat` is the
 * libvips matrix format. */
static gboolean
write_text_matrix (const gfloat *plane, guint h, guint w, const gchar *path, gboolean csv,
                   GError **error)
{
  FILE *file = fopen (path, "w");
  if (file == NULL)
    {
      int saved = errno;
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_IO, "%s", g_strerror (saved));
      return FALSE;
    }
  if (!csv)
    fprintf (file, "%u %u 1 0\n", w, h);
  gchar number[G_ASCII_DTOSTR_BUF_SIZE];
  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++)
      {
        g_ascii_formatd (number, sizeof number, "%.9g", plane[(gsize) y * w + x]);
        fputs (number, file);
        fputc (x + 1 < w ? (csv ? ',' : ' ') : '\n', file);
      }
  gboolean ok = !ferror (file);
  int saved = errno;
  if (fclose (file) != 0 || !ok)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_IO, "%s", g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* Clamps to [0, 1] (NaN to 0) and rounds to 0..255; @step 1 is written
 * out separately so that the common grey case vectorises. */
static inline void
to_bytes_step (const gfloat *restrict in, guint8 *restrict out, gsize n, guint step)
{
  for (gsize i = 0; i < n; i++)
    {
      /* Written so that it vectorises: the clamp happens after scaling, on
       * floats bounded for the int conversion, and NaN goes to 0 last. The
       * result equals rounding clamp (x, 0, 1) · 255. */
      gfloat x = in[i];
      gfloat t = x * 255.0f + 0.5f;
      t = t < 255.5f ? t : 255.5f;
      t = t > -1.0f ? t : -1.0f;
      gint32 q = (gint32) t;
      q = q < 0 ? 0 : q;
      out[i * step] = (guint8) (x == x ? q : 0);
    }
}

static void
to_bytes (const gfloat *in, guint8 *out, gsize n, guint step)
{
  if (step == 1)
    to_bytes_step (in, out, n, 1);
  else
    to_bytes_step (in, out, n, step);
}

/* Planar floats to interleaved pixels: float32, or 8-bit with values
 * clamped to [0, 1] and rounded to 0..255. */
static gpointer
interleave (CnnfiltTensor *tensor, gboolean as_float)
{
  guint c = cnnfilt_tensor_get_c (tensor);
  gsize n_pixels = (gsize) cnnfilt_tensor_get_h (tensor) * cnnfilt_tensor_get_w (tensor);
  const gfloat *planes = cnnfilt_tensor_get_data (tensor, NULL);
  gpointer pixels = g_try_malloc (n_pixels * c * (as_float ? sizeof (gfloat) : 1));
  if (pixels == NULL)
    return NULL;
  for (guint b = 0; b < c; b++)
    {
      const gfloat *in = planes + b * n_pixels;
      if (as_float)
        {
          gfloat *out = (gfloat *) pixels + b;
          for (gsize i = 0; i < n_pixels; i++)
            out[i * c] = in[i];
        }
      else if (c == 1)
        to_bytes (in, pixels, n_pixels, 1);
      else
        to_bytes (in, (guint8 *) pixels + b, n_pixels, c);
    }
  return pixels;
}

static VipsImage *
tensor_to_vips (CnnfiltTensor *tensor, gboolean as_float)
{
  guint c = cnnfilt_tensor_get_c (tensor), h = cnnfilt_tensor_get_h (tensor),
        w = cnnfilt_tensor_get_w (tensor);
  gpointer pixels = interleave (tensor, as_float);
  if (pixels == NULL)
    return NULL;
  gsize size = (gsize) h * w * c * (as_float ? sizeof (gfloat) : 1);
  VipsImage *image = vips_image_new_from_memory (pixels, size, w, h, c,
                                                 as_float ? VIPS_FORMAT_FLOAT : VIPS_FORMAT_UCHAR);
  /* the buffer goes with the image */
  g_object_set_data_full (G_OBJECT (image), "cnnfilt-pixels", pixels, g_free);
  image->Type = c <= 2 ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB;
  return image;
}

/* 8-bit PNG through libdeflate: about 2.5 times as fast as libvips' libpng
 * saver at level 1, and smaller (see cnnfilt-png.c). */
static gboolean
write_png (CnnfiltTensor *tensor, const gchar *path, gint compression, GError **error)
{
  guint c = cnnfilt_tensor_get_c (tensor), w = cnnfilt_tensor_get_w (tensor);
  g_autofree guint8 *pixels = interleave (tensor, FALSE);
  if (pixels == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED, "out of memory");
      return FALSE;
    }
  g_autoptr (GError) png_error = NULL;
  if (!cnnfilt_png_write (pixels, w, cnnfilt_tensor_get_h (tensor), c, (gsize) w * c,
                          compression < 0 ? 6 : compression, path, &png_error))
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_IO, "%s", png_error->message);
      return FALSE;
    }
  return TRUE;
}

typedef struct {
  CnnfiltTensor *tensor;
  gboolean as_float;
  const gchar *path;
  const gchar *suffix;
  gint quality;
} SaveJob;

static gboolean
save_with_vips (gpointer data, const gchar **failure, GError **error)
{
  SaveJob *job = data;
  g_autoptr (VipsImage) image = tensor_to_vips (job->tensor, job->as_float);
  if (image == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED, "out of memory");
      return FALSE;
    }
  const gchar *suffix = job->suffix;
  gint quality = job->quality < 0 ? 90 : job->quality;
  int status;
  if (g_str_equal (suffix, "jpg") || g_str_equal (suffix, "jpeg") || g_str_equal (suffix, "jpe"))
    status = vips_jpegsave (image, job->path, "Q", quality, NULL);
  else if (g_str_equal (suffix, "webp"))
    status = vips_webpsave (image, job->path, "Q", quality, NULL);
  else
    status = vips_image_write_to_file (image, job->path, NULL);
  if (status != 0)
    {
      *failure = "cannot write image";
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_file (CnnfiltTensor *tensor, const gchar *path, const gchar *suffix, gint compression,
            gint quality, GError **error)
{
  guint c = cnnfilt_tensor_get_c (tensor);
  gboolean as_float = g_strv_contains (float_suffixes, suffix);

  if (g_str_equal (suffix, "csv") || g_str_equal (suffix, "mat"))
    {
      if (c != 1)
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                       ".%s holds one channel and the image has %u; add `grayscale` "
                       "or save as .tif", suffix, c);
          return FALSE;
        }
      return write_text_matrix (cnnfilt_tensor_get_data (tensor, NULL),
                                cnnfilt_tensor_get_h (tensor), cnnfilt_tensor_get_w (tensor),
                                path, g_str_equal (suffix, "csv"), error);
    }
  if (c > 4 && !g_str_equal (suffix, "v") && !g_str_equal (suffix, "vips") &&
      !g_str_has_prefix (suffix, "tif"))
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                   ".%s holds 1 to 4 channels and the tensor has %u; save as .tif or .v",
                   suffix, c);
      return FALSE;
    }

  if (g_str_equal (suffix, "png"))
    return write_png (tensor, path, compression, error);

  SaveJob job = { tensor, as_float, path, suffix, quality };
  return run_vips (save_with_vips, &job, CNNFILT_ERROR_IO, NULL, error);
}

/**
 * cnnfilt_image_save_with_options:
 * @tensor: a `1 × c × h × w` tensor
 * @path: the file to write; its suffix picks the format
 * @compression: PNG zlib level 0 to 9, or -1 for the default (6)
 * @quality: JPEG and WebP quality 1 to 100, or -1 for the default (90)
 * @error: return location for a #GError
 *
 * Saves a tensor as an image. `.npy` writes the NumPy array, any batch size
 * (cnnfilt_tensor_save_npy()). Float formats (`.tif`, `.v`, `.pfm`, `.csv`,
 * `.mat`) keep the float32 values exactly; other formats clamp to [0, 1]
 * and round to 0..255. One or two channels are saved as grey, three or
 * four as sRGB (the fourth is alpha).
 *
 * The file is written under a temporary name in the same folder and renamed
 * into place, so a failure or an interruption never leaves a partial file
 * at @path.
 *
 * Returns: %TRUE on success; errors start with @path
 */
gboolean
cnnfilt_image_save_with_options (CnnfiltTensor *tensor, const gchar *path, gint compression,
                                 gint quality, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_TENSOR (tensor), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  ensure_vips ();

  g_autofree gchar *suffix = suffix_of (path);
  if (g_str_equal (suffix, "npy"))
    return cnnfilt_tensor_save_npy (tensor, path, error);
  if (cnnfilt_tensor_get_n (tensor) != 1)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "%s: an image file holds one image, the tensor holds %u", path,
                   cnnfilt_tensor_get_n (tensor));
      return FALSE;
    }
  if (compression > 9 || quality > 100 || quality == 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "%s: compression must be 0 to 9 and quality 1 to 100", path);
      return FALSE;
    }
  g_rw_lock_reader_lock (&vips_lock);
  gboolean writable = vips_foreign_find_save (path) != NULL;
  g_rw_lock_reader_unlock (&vips_lock);
  if (!writable && !g_str_equal (suffix, "csv") && !g_str_equal (suffix, "mat"))
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                   "%s: no image format with suffix '.%s' can be written", path, suffix);
      return FALSE;
    }

  /* A temporary name that keeps the suffix, since libvips picks the saver by it. */
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_autofree gchar *base = g_path_get_basename (path);
  g_autofree gchar *template = g_strdup_printf (".%s.XXXXXX.%s", base, suffix);
  g_autofree gchar *temp = g_build_filename (dir, template, NULL);
  int fd = g_mkstemp_full (temp, O_WRONLY, 0644);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_IO, "%s: cannot write in %s: %s",
                   path, dir, g_strerror (saved));
      return FALSE;
    }
  close (fd);

  if (!write_file (tensor, temp, suffix, compression, quality, error))
    {
      g_unlink (temp);
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  if (g_rename (temp, path) != 0)
    {
      int saved = errno;
      g_unlink (temp);
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_IO, "%s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

typedef struct {
  CnnfiltTensor *tensor;
  const gchar *format;
  gint quality;
  void *buffer;
  size_t length;
} EncodeJob;

static gboolean
encode_with_vips (gpointer data, const gchar **failure, GError **error)
{
  EncodeJob *job = data;
  g_autoptr (VipsImage) image = tensor_to_vips (job->tensor, FALSE);
  if (image == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED, "out of memory");
      return FALSE;
    }
  g_autofree gchar *options = g_str_equal (job->format, "png")
                                  ? g_strdup (".png")
                                  : g_strdup_printf (".%s[Q=%d]", job->format,
                                                     job->quality < 0 ? 90 : job->quality);
  if (vips_image_write_to_buffer (image, options, &job->buffer, &job->length, NULL) != 0)
    {
      *failure = "cannot encode image";
      return FALSE;
    }
  return TRUE;
}

/**
 * cnnfilt_image_encode:
 * @tensor: a `1 × c × h × w` tensor of 1 to 4 channels
 * @format: "jpg", "png" or "webp"
 * @quality: JPEG and WebP quality 1 to 100, or -1 for the default (90);
 *   PNG, lossless, ignores it
 * @error: return location for a #GError
 *
 * The bytes of an image file of @tensor, as cnnfilt_image_save() would
 * write it, held in memory: for a web page, a database, a network reply.
 * Values are clamped to [0, 1]; one or two channels are grey, three or four
 * sRGB (JPEG has no alpha: libvips flattens the image onto black).
 *
 * Returns: (transfer full): the file's bytes, or %NULL with @error set
 */
GBytes *
cnnfilt_image_encode (CnnfiltTensor *tensor, const gchar *format, gint quality, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_TENSOR (tensor), NULL);
  g_return_val_if_fail (format != NULL, NULL);
  ensure_vips ();
  const gchar *const formats[] = { "jpg", "png", "webp", NULL };
  guint c = cnnfilt_tensor_get_c (tensor);
  if (!g_strv_contains (formats, format) || quality > 100 || quality == 0 || quality < -1 ||
      cnnfilt_tensor_get_n (tensor) != 1 || c < 1 || c > 4)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "cannot encode %u image%s of %u channels as '%s' at quality %d: one image of 1 "
                   "to 4 channels as jpg, png or webp, quality 1 to 100 or -1",
                   cnnfilt_tensor_get_n (tensor), cnnfilt_tensor_get_n (tensor) == 1 ? "" : "s", c,
                   format, quality);
      return NULL;
    }
  EncodeJob job = { tensor, format, quality, NULL, 0 };
  if (!run_vips (encode_with_vips, &job, CNNFILT_ERROR_FAILED, format, error))
    return NULL;
  return g_bytes_new_with_free_func (job.buffer, job.length, g_free, job.buffer);
}

/**
 * cnnfilt_image_save:
 * @tensor: a `1 × c × h × w` tensor
 * @path: the file to write; its suffix picks the format
 * @error: return location for a #GError
 *
 * Saves with default options; see cnnfilt_image_save_with_options().
 *
 * Returns: %TRUE on success
 */
gboolean
cnnfilt_image_save (CnnfiltTensor *tensor, const gchar *path, GError **error)
{
  return cnnfilt_image_save_with_options (tensor, path, -1, -1, error);
}
