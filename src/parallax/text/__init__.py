"""Plain-text work on strings: cleaning markup, boilerplate, query parsing, terms and excerpts, pages."""
