// The map frame in the page: a Streamlit component (st.components.v2) that puts the finished map document into an
// iframe via srcdoc and reports taps on the map back to the app.
//
// Why not streamlit-folium's component: its frame first loads its own index.html and a 225 KB React bundle, waits
// for the arguments by postMessage and only then asks for Leaflet and the plugins one after another. A srcdoc
// document is complete when it arrives: the browser fetches Leaflet, the plugins and the styles in parallel and
// draws the markers as soon as they are there (bench/README.md, "Zeit bis zur ersten Markierung").
//
// The document stays a frame of its own (not the page): Leaflet's styles, the map's language and direction
// (qk-map.js sets lang on its <html>) and its print rules stay apart from Streamlit's.
//
// data: {html, digest, title, height, report_clicks}. Right to left pages keep the frame left to right
// (static/qk/qk-rtl.css): Leaflet positions tiles and controls for that. A frame is replaced only when the map changed (digest), so a
// rerun with the same map keeps what she panned and zoomed to.

function appBase() {
  // Streamlit's own bundle lives at <app root>/static/js/index.<hash>.js, also under --server.baseUrlPath; the map
  // document's asset links ("app/static/...") are relative to that root.
  const bundle = Array.from(document.scripts).find((s) => /\/static\/js\/index\.[^/]+\.js$/.test(s.src));
  return bundle ? bundle.src.replace(/static\/js\/[^/]+$/, "") : new URL(".", document.baseURI).href;
}

export default function ({ parentElement, data, setTriggerValue }) {
  let frame = parentElement.querySelector("iframe.qk-map-frame");
  if (!frame || frame.dataset.digest !== data.digest) {
    const next = document.createElement("iframe");
    next.className = "qk-map-frame";
    next.title = data.title;
    next.dataset.digest = data.digest;
    next.style.cssText = `display:block;width:100%;height:${data.height}px;border:0`;
    // The document's last script calls this with the Leaflet map (window.frameElement is this iframe).
    next.qkReady = (map) => {
      if (data.report_clicks) {
        map.on("click", (e) => setTriggerValue("click", { lat: e.latlng.lat, lng: e.latlng.lng }));
      }
    };
    const base = `<base href="${appBase().replace(/"/g, "%22")}">`;
    next.srcdoc = data.html.replace(/<head>/i, `<head>${base}`);
    if (frame) {
      frame.replaceWith(next);
    } else {
      parentElement.appendChild(next);
    }
    frame = next;
  }
}
