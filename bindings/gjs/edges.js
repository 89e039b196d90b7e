#!/usr/bin/gjs -m
// edges.js: edge maps of photos from GJS, through GObject Introspection.
//   gjs -m edges.js OUT_DIR PHOTO...
// SPDX-License-Identifier: LGPL-2.1-or-later
import Cnnfilt from 'gi://Cnnfilt?version=1.0';
import GLib from 'gi://GLib';
import System from 'system';

const [outDir, ...photos] = ARGV;
if (!outDir || photos.length === 0) {
    printerr('usage: gjs -m edges.js OUT_DIR PHOTO...');
    System.exit(2);
}
const edges = Cnnfilt.Graph.new_from_string('grayscale ! sobel direction=magnitude ! normalize');
GLib.mkdir_with_parents(outDir, 0o755);
for (const photo of photos) {
    const image = Cnnfilt.image_load(photo);
    const out = edges.process(image);
    const name = GLib.path_get_basename(photo).replace(/\.[^.]*$/, '.png');
    const path = GLib.build_filenamev([outDir, name]);
    Cnnfilt.image_save(out, path);
    print(`${path} ${out.get_w()}x${out.get_h()}`);
}
