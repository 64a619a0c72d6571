const colors = require("tailwindcss/colors");
const plugin = require("tailwindcss/plugin");

// One brand colour, used for primary actions, links and focus rings.
const brand = {
  50: "#eef4ff",
  100: "#dbe6fe",
  200: "#bfd3fe",
  300: "#93b4fd",
  400: "#608bfa",
  500: "#3b66f6",
  600: "#2546eb",
  700: "#1d35d8",
  800: "#1e2daf",
  900: "#1e2c8a",
  950: "#172554",
};

// Dark mode swaps the palette instead of adding dark: variants to every
// class: each colour the views use is a CSS variable, and the dark theme
// mirrors each scale (50 <-> 950, 100 <-> 900, ...), so every pair of
// text and background keeps the contrast it has in the light theme. Slate
// is shifted by one step around the middle, because mirrored slate-500
// (muted text) would fall below AA on the darkest background.
const steps = ["50", "100", "200", "300", "400", "500", "600", "700", "800", "900", "950"];
const scales = { slate: colors.slate, red: colors.red, amber: colors.amber, green: colors.green, brand };
const slateDark = {
  50: "950", 100: "800", 200: "700", 300: "600", 400: "500", 500: "400",
  600: "300", 700: "200", 800: "100", 900: "50", 950: "white",
};

function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return `${(n >> 16) & 255} ${(n >> 8) & 255} ${n & 255}`;
}

function themeVars(dark) {
  const vars = { "color-scheme": dark ? "dark" : "light" };
  for (const [name, scale] of Object.entries(scales)) {
    steps.forEach((step, i) => {
      let hex = scale[step];
      if (dark) {
        if (name === "slate") {
          const to = slateDark[step];
          hex = to === "white" ? "#ffffff" : colors.slate[to];
        } else {
          hex = scale[steps[steps.length - 1 - i]];
        }
      }
      vars[`--c-${name}-${step}`] = rgb(hex);
    });
  }
  vars["--c-white"] = dark ? rgb(colors.slate[900]) : "255 255 255";
  return vars;
}

const themedColors = { white: "rgb(var(--c-white) / <alpha-value>)" };
for (const name of Object.keys(scales)) {
  themedColors[name] = {};
  for (const step of steps) {
    themedColors[name][step] = `rgb(var(--c-${name}-${step}) / <alpha-value>)`;
  }
}

/** @type {import('tailwindcss').Config} */
module.exports = {
  // Only files that can contain class names: the templ sources (not the
  // generated *_templ.go, which would duplicate them) and app.js, which
  // toggles a few classes at runtime.
  content: ["./views/**/*.templ", "./static/app.js"],
  // The component classes from web/tailwind.css are always built, even when
  // no template mentions them literally (Go code may compose "badge-" + name,
  // which the content scanner cannot see). They cost a few hundred bytes.
  safelist: [
    "btn",
    "btn-primary",
    "btn-danger",
    "btn-sm",
    "input",
    "input-error",
    "label",
    "field-error",
    "card",
    "table",
    "badge",
    "badge-green",
    "badge-amber",
    "badge-red",
    "badge-gray",
    "flash-success",
    "flash-error",
    "link",
    "dialog",
    "empty-state",
  ],
  theme: {
    extend: {
      colors: themedColors,
      fontFamily: {
        sans: [
          "Inter",
          "ui-sans-serif",
          "system-ui",
          "-apple-system",
          "Segoe UI",
          "Roboto",
          "Helvetica Neue",
          "Arial",
          "sans-serif",
        ],
      },
      maxWidth: {
        // Page width of the console; wide enough for the secrets table.
        page: "72rem",
      },
    },
  },
  plugins: [
    // The theme follows the system (prefers-color-scheme) unless the
    // person chose one with the header's toggle: app.js then puts "light"
    // or "dark" on <html> (and remembers it in localStorage).
    plugin(function ({ addBase }) {
      addBase({
        ":root": themeVars(false),
        "@media (prefers-color-scheme: dark)": { ":root:not(.light)": themeVars(true) },
        ":root.dark": themeVars(true),
      });
    }),
  ],
};
