package summary

// genericRule is every kind without a rule of its own: the worst WEC's status, with
// conditions and observedGeneration merged (summarize.go), so that kstatus reads the worst.
var genericRule = rule{}
