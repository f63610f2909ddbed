// Runs just before the ipywidgets HTML manager (embed-amd.js, same folder) and tells
// it where its font files are: this script's own folder. Without it the manager builds
// the URL from the page origin, which is "null" when the book is opened from disk.
window.__jupyter_widgets_assets_path__ = document.currentScript.src.replace(/[^/]*$/, "");
