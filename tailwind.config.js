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
      colors: {
        // One brand colour, used for primary actions, links and focus rings.
        brand: {
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
        },
      },
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
  plugins: [],
};
