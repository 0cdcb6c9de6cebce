"""What the knowledge base keeps of each record besides its rows, rewritten whenever the
record's rows change: its rendering as the API reads it (`rendering`), its search document
and grams (`search_index`), and the revision every change advances. `upkeep` is the flush hook
that keeps all three current, in the transaction of the write."""
