/* report.c: the --html page of `cnnfilt search` and `cnnfilt dedup`
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One self-contained HTML file: each query or group of near-duplicates
 * is a row of thumbnails with their paths and scores, the thumbnails
 * embedded as JPEG data URIs (decoded reduced, then resized),
 * so the page needs no network and no other file. People judge duplicates
 * by looking. Written atomically, like every output of cnnfilt.
 */
#include "cnnfilt-cli.h"

#include <stdio.h>
#include <string.h>

#define THUMBNAIL_SIZE 200

struct _Report {
  GString *html;
  guint images, unreadable;
};

static const gchar style[] =
    "body{font:14px system-ui,sans-serif;margin:1.5em;background:#fafafa;color:#222}"
    "h1{font-size:1.4em}h2{font-size:1.05em;margin:1.6em 0 .5em;word-break:break-all}"
    "section{border-top:1px solid #ddd}"
    ".row{display:flex;flex-wrap:wrap;gap:12px}"
    "figure{margin:0;width:" G_STRINGIFY (THUMBNAIL_SIZE) "px}"
    "figure img,.missing{width:" G_STRINGIFY (THUMBNAIL_SIZE) "px;height:" G_STRINGIFY (THUMBNAIL_SIZE)
    "px;object-fit:contain;background:#eee;display:block}"
    ".query img{outline:3px solid #1a73e8}"
    ".missing{display:flex;align-items:center;justify-content:center;text-align:center;"
    "color:#a00;font-size:12px}"
    "figcaption{font-size:12px;word-break:break-all;margin-top:4px}"
    ".score{font-weight:600;font-variant-numeric:tabular-nums}";

/* @text as HTML text, whatever the bytes of a file name. */
static void
append_escaped (GString *out, const gchar *text)
{
  g_autofree gchar *display = g_filename_display_name (text);
  g_autofree gchar *escaped = g_markup_escape_text (display, -1);
  g_string_append (out, escaped);
}

Report *
report_new (const gchar *title, const gchar *subtitle)
{
  Report *report = g_new0 (Report, 1);
  report->html = g_string_new ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                               "<meta name=\"viewport\" content=\"width=device-width\">"
                               "<meta name=\"generator\" content=\"cnnfilt\"><title>");
  append_escaped (report->html, title);
  g_string_append_printf (report->html, "</title><style>%s</style></head>\n<body><h1>", style);
  append_escaped (report->html, title);
  g_string_append (report->html, "</h1>\n<p>");
  append_escaped (report->html, subtitle);
  g_string_append (report->html, "</p>\n");
  return report;
}

void
report_begin_group (Report *report, const gchar *heading)
{
  g_string_append (report->html, "<section><h2>");
  append_escaped (report->html, heading);
  g_string_append (report->html, "</h2><div class=\"row\">\n");
}

void
report_end_group (Report *report)
{
  g_string_append (report->html, "</div></section>\n");
}

/* The JPEG thumbnail of @path, base64, fitting THUMBNAIL_SIZE square;
 * NULL with @error set. Decoded reduced, through the library's loader
 * checks, as every image cnnfilt reads. */
static gchar *
thumbnail (const gchar *path, GError **error)
{
  g_autoptr (CnnfiltTensor) image = g_object_new (CNNFILT_TYPE_TENSOR, NULL);
  if (!cnnfilt_image_load_full (path, image, CNNFILT_LOAD_DEFAULT, CNNFILT_IMAGE_DEFAULT_MAX_PIXELS,
                                THUMBNAIL_SIZE / 2, error))
    return NULL;
  guint w = cnnfilt_tensor_get_w (image), h = cnnfilt_tensor_get_h (image);
  gdouble scale = MIN (1.0, (gdouble) THUMBNAIL_SIZE / MAX (w, h));
  g_autofree gchar *text = g_strdup_printf ("resize width=%u height=%u",
                                            MAX (1, (guint) (w * scale + 0.5)),
                                            MAX (1, (guint) (h * scale + 0.5)));
  g_autoptr (CnnfiltGraph) resize = cnnfilt_graph_new_from_string (text, error);
  g_autoptr (CnnfiltTensor) small = resize ? cnnfilt_graph_process (resize, image, error) : NULL;
  g_autoptr (GBytes) jpeg = small ? cnnfilt_image_encode (small, "jpg", 80, error) : NULL;
  if (jpeg == NULL)
    return NULL;
  gsize length = 0;
  const guchar *bytes = g_bytes_get_data (jpeg, &length);
  return g_base64_encode (bytes, length);
}

/* Adds one image: its thumbnail, or a box saying why there is none; its
 * score when @score is at least -1; its path. A query is outlined. */
void
report_add_image (Report *report, const gchar *path, gdouble score, gboolean query)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *data = thumbnail (path, &error);
  GString *out = report->html;
  g_string_append_printf (out, "<figure%s>", query ? " class=\"query\"" : "");
  if (data != NULL)
    {
      g_string_append_printf (out, "<img src=\"data:image/jpeg;base64,%s\" alt=\"", data);
      append_escaped (out, path);
      g_string_append (out, "\">");
    }
  else
    {
      g_string_append (out, "<div class=\"missing\">");
      append_escaped (out, error->message);
      g_string_append (out, "</div>");
      report->unreadable++;
    }
  g_string_append (out, "<figcaption>");
  if (query)
    g_string_append (out, "<span class=\"score\">query</span> ");
  else if (score >= -1)
    g_string_append_printf (out, "<span class=\"score\">%.4f</span> ", score);
  append_escaped (out, path);
  g_string_append (out, "</figcaption></figure>\n");
  report->images++;
}

/* Writes the page to @path atomically and frees @report; FALSE after
 * saying why. */
gboolean
report_finish (Report *report, const gchar *path, gboolean quiet)
{
  g_string_append (report->html, "</body></html>\n");
  g_autoptr (GError) error = NULL;
  gboolean ok = g_file_set_contents (path, report->html->str, (gssize) report->html->len, &error);
  if (!ok)
    cli_error ("--html %s: %s", path, error->message);
  else if (!quiet)
    fprintf (stderr, "cnnfilt: wrote %s (%u image%s%s)\n", path, report->images,
             report->images == 1 ? "" : "s",
             report->unreadable ? ", some unreadable: shown as such" : "");
  g_string_free (report->html, TRUE);
  g_free (report);
  return ok;
}

/* Checks --html's file name: it must end in .html or .htm, so that a
 * mistyped option never replaces a photo. */
gboolean
report_check_path (const gchar *command, const gchar *path)
{
  g_autofree gchar *lower = g_ascii_strdown (path, -1);
  if (g_str_has_suffix (lower, ".html") || g_str_has_suffix (lower, ".htm"))
    return TRUE;
  cli_error ("%s: --html %s: the report's name must end in .html", command, path);
  return FALSE;
}
